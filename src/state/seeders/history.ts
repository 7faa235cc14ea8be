/**
 * The seeder map at past heights (`seeders_get {card, height}`). State holds only the latest
 * map, so an indexer records every change to a seeder entry in the block's batch:
 *
 *   i/seedh/<card><height:u64><seeder>  → the entry as set at that height, or empty when removed
 *   i/seedh.start                       → the first height the history covers (u64)
 *
 * The map at height H is, per seeder, the last record at or below H, if it is an entry that has
 * not expired by H. A node that starts the index on an existing chain covers heights from then on
 * and says so for earlier ones.
 */
import type { Indexer } from '../chain.js'
import type { KVStore } from '../store.js'
import { PREFIX, concatKey, heightKey, prefixEnd, readHeightKey } from '../keys.js'
import { startsWith } from '../overlay.js'
import type { StateStore } from '../stateStore.js'
import { StateError } from '../errors.js'
import { SEED_PREFIX, decodeSeedEntry, parseSeedKey, seedCardPrefix, type SeedEntryValue } from './records.js'

const HISTORY = concatKey(PREFIX.index, 'seedh/')
const START = concatKey(PREFIX.index, 'seedh.start')

export interface SeederAt {
  seeder: Uint8Array
  entry: SeedEntryValue
}

/** The most seeders one query returns: a card's map is read whole, so it is bounded. */
export const MAX_SEEDERS_PER_QUERY = 1_000

export function seederHistoryIndexer (): Indexer {
  return {
    name: 'seeders-history',
    blockOps: async (committed) => committed.changes
      .filter(c => startsWith(c.key, SEED_PREFIX))
      .map(c => {
        const { card, seeder } = parseSeedKey(c.key)
        return { type: 'put' as const, key: concatKey(HISTORY, card, heightKey(committed.height), seeder), value: c.value ?? new Uint8Array(0) }
      })
  }
}

/** Records where the history starts, the first time the index runs on this node's data. */
export async function initSeederHistory (kv: KVStore, head: number): Promise<number> {
  const v = await kv.get(START)
  if (v !== undefined) return readHeightKey(v)
  const start = head === 0 ? 0 : head + 1
  await kv.batch([{ type: 'put', key: START, value: heightKey(start) }])
  return start
}

/** Live seeders of `card` in the latest committed state. */
export async function seedersNow (state: StateStore, card: Uint8Array, head: number): Promise<SeederAt[]> {
  const prefix = seedCardPrefix(card)
  const out: SeederAt[] = []
  for await (const [k, v] of state.scan(prefix, prefixEnd(prefix), MAX_SEEDERS_PER_QUERY)) {
    const entry = decodeSeedEntry(v)!
    if (entry.expires > head) out.push({ seeder: parseSeedKey(k).seeder, entry })
  }
  return out
}

/** Live seeders of `card` at committed height `height`, from the history index. */
export async function seedersAt (kv: KVStore, card: Uint8Array, height: number): Promise<SeederAt[]> {
  const startBytes = await kv.get(START)
  const start = startBytes === undefined ? Infinity : readHeightKey(startBytes)
  if (height < start) {
    throw new StateError('NOT_FOUND', `this node keeps seeder history from height ${start === Infinity ? 'its next start' : start}; ask an archive node for height ${height}`)
  }
  const from = concatKey(HISTORY, card)
  const latest = new Map<string, { seeder: Uint8Array, value: Uint8Array }>()
  for await (const [k, v] of kv.iterate({ gte: from, lt: concatKey(HISTORY, card, heightKey(height + 1)) })) {
    const seeder = k.slice(from.length + 8)
    latest.set(Buffer.from(seeder).toString('hex'), { seeder, value: v })
  }
  const out: SeederAt[] = []
  for (const { seeder, value } of latest.values()) {
    if (value.length === 0) continue
    const entry = decodeSeedEntry(value)!
    if (entry.expires > height) out.push({ seeder, entry })
    if (out.length >= MAX_SEEDERS_PER_QUERY) break
  }
  return out
}

export { HISTORY as SEEDER_HISTORY_PREFIX }
