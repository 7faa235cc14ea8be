/**
 * Committed state: reads through a bounded cache over the KV store, and the state commitment over
 * every key under `s/`. A single awaited LevelDB `get` costs ~100 µs while a cache hit costs
 * nothing, so blocks prefetch their read sets with one `getMany` (MISSION.md §3) and then execute
 * against the cache.
 */
import { type KVStore, type BatchOp } from './store.js'
import { LRUCache } from 'lru-cache'
import { binaryKey } from '../codec/hex.js'
import { StateCommitment } from './commitment/index.js'
import { PREFIX } from './keys.js'

/** A cached absence, so that repeated reads of missing keys do not hit the disk either. */
const ABSENT = new Uint8Array(0)

/** Default bounds of the read cache: entries, and bytes of keys and values. */
export const STATE_CACHE_DEFAULTS = { entries: 50_000, bytes: 32 * 2 ** 20 }
/** Bytes an entry holds besides its key and value (map entry, typed array header). */
const ENTRY_OVERHEAD = 96

export interface StateChange {
  key: Uint8Array
  value: Uint8Array | null
}

export class StateStore {
  private readonly cache: LRUCache<string, Uint8Array>
  /**
   * Bumped by every commit. A read that missed the cache fills it only if no commit happened
   * while it awaited the disk: otherwise an RPC read racing a block commit could put the value
   * from before the block back into the cache, and the next block would execute against it.
   */
  private epoch = 0

  private constructor (
    readonly kv: KVStore,
    readonly commitment: StateCommitment,
    cacheEntries: number,
    cacheBytes: number
  ) {
    // bounded by bytes as well as entries: card records carry previews of up to 64 KiB, and every
    // committed change enters the cache, so 50,000 of them could otherwise hold gigabytes
    this.cache = new LRUCache({ max: cacheEntries, maxSize: cacheBytes, sizeCalculation: (v, k) => k.length + v.byteLength + ENTRY_OVERHEAD })
  }

  static async open (kv: KVStore, opts: { cacheEntries?: number, cacheBytes?: number } = {}): Promise<StateStore> {
    const commitment = await StateCommitment.open(kv, PREFIX.commitment)
    return new StateStore(kv, commitment, opts.cacheEntries ?? STATE_CACHE_DEFAULTS.entries, opts.cacheBytes ?? STATE_CACHE_DEFAULTS.bytes)
  }

  /** Entries and bytes held by the read cache. */
  cacheStats (): { entries: number, bytes: number } {
    return { entries: this.cache.size, bytes: this.cache.calculatedSize }
  }

  root (): Uint8Array {
    return this.commitment.root()
  }

  async get (key: Uint8Array): Promise<Uint8Array | undefined> {
    const id = binaryKey(key)
    const hit = this.cache.get(id)
    if (hit !== undefined) return hit === ABSENT ? undefined : hit
    const epoch = this.epoch
    const value = await this.kv.get(key)
    if (epoch === this.epoch) {
      this.cache.set(id, value ?? ABSENT)
      return value
    }
    // a block committed meanwhile: the disk read may predate it, so read what is current now
    return await this.get(key)
  }

  /** Loads every key not yet cached with one batched read. */
  async prefetch (keys: Uint8Array[]): Promise<void> {
    const missing: Uint8Array[] = []
    const seen = new Set<string>()
    for (const k of keys) {
      const id = binaryKey(k)
      if (seen.has(id) || this.cache.has(id)) continue
      seen.add(id)
      missing.push(k)
    }
    if (missing.length === 0) return
    const epoch = this.epoch
    const values = await this.kv.getMany(missing)
    if (epoch !== this.epoch) return // stale: individual reads will fetch what is current
    for (let i = 0; i < missing.length; i++) this.cache.set(binaryKey(missing[i]), values[i] ?? ABSENT)
  }

  /**
   * Folds a block's changes into the commitment and returns the new root with every op that
   * persists them (state values and commitment records). The caller writes the ops in the block's
   * atomic batch and then calls `afterWrite`.
   */
  async commitChanges (changes: StateChange[]): Promise<{ root: Uint8Array, ops: BatchOp[] }> {
    const { root, ops } = await this.commitment.update(changes.map(c => [c.key, c.value] as [Uint8Array, Uint8Array | null]))
    const stateOps: BatchOp[] = changes.map(c => c.value == null
      ? { type: 'del', key: c.key }
      : { type: 'put', key: c.key, value: c.value })
    return { root, ops: [...stateOps, ...ops] }
  }

  /** Makes written changes visible to cached reads. */
  afterWrite (changes: StateChange[]): void {
    this.epoch++
    for (const c of changes) this.cache.set(binaryKey(c.key), c.value ?? ABSENT)
  }

  async * scan (prefix: Uint8Array, end: Uint8Array, limit?: number, reverse?: boolean): AsyncIterable<[Uint8Array, Uint8Array]> {
    yield * this.kv.iterate({ gte: prefix, lt: end, limit, reverse })
  }
}
