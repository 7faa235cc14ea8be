/**
 * The feed index: posting lists, score orders, counts and per-card documents under `i/feed/`,
 * written by a chain indexer in the same atomic batch as the block (so the index never disagrees
 * with the state it describes), and rebuildable from stored blocks (`folio reindex`).
 *
 * A block's index changes follow from the card-counters records the block changed: every card
 * transaction (and the areas that count key sales and seeders) rewrites that record, and
 * card.publish creates it. A new card is filed under its posting lists and their score orders; an
 * existing one only moves in the score orders whose score changed.
 */
import type { BatchOp, KVStore } from '../store.js'
import type { StateStore } from '../stateStore.js'
import type { StateOverlay } from '../overlay.js'
import type { BlockStore } from '../blockStore.js'
import type { CommittedBlock, Indexer } from '../chain.js'
import { startsWith } from '../overlay.js'
import { prefixEnd } from '../keys.js'
import { bareHex } from '../../codec/hex.js'
import { LRUCache } from 'lru-cache'
import { StateError } from '../errors.js'
import { concatBytes, packRecord, unpackRecord } from '../../codec/index.js'
import { txId } from '../../blocks/index.js'
import { CARD_COUNTERS_PREFIX, cardKey, cardCountersKey, decodeCard, decodeCounters, type CardCountersValue, type CardRecordValue } from '../cards/records.js'
import { type FeedDoc, buildDoc, docWords, postingLists, scoredLists, scoreKeys, scoreBytes, suffixOf, encodeDoc, decodeDoc, reactionTotal, trendingScore } from './doc.js'
import { FEED, SCORE_SORTS, docKey, countKey, countBytes, readCount, metaKey } from './layout.js'

/** Bump when the layout or a score formula changes: a node then rebuilds its index at start. */
export const FEED_INDEX_VERSION = 2
/**
 * Index documents kept decoded in memory. A document has a bounded size (at most 10 tags) and
 * costs ~1 KiB decoded (measured on the feed bench: 12,782 documents, 13 MB of V8 heap), so the
 * entry count bounds the bytes: ~20 MB. The bench's 760 queries over 100,000 cards load ~12,800.
 */
export const FEED_DOC_CACHE = 20_000
const EMPTY = new Uint8Array(0)
const HEIGHT_KEY = metaKey('height')

interface Change { id: Uint8Array, counters: CardCountersValue }

export class FeedIndex {
  /** Decoded documents by card id; none with `cacheDocs: 0` (every document is read from the index). */
  private readonly docs: LRUCache<string, FeedDoc> | undefined
  private pending: { height: number, docs: FeedDoc[], created: FeedDoc[] } | undefined

  constructor (readonly kv: KVStore, readonly state: StateStore, opts: { cacheDocs?: number } = {}) {
    const max = opts.cacheDocs ?? FEED_DOC_CACHE
    this.docs = max > 0 ? new LRUCache({ max }) : undefined
  }

  indexer (): Indexer {
    return { name: 'feed', blockOps: async (committed, overlay) => await this.blockOps(committed, overlay) }
  }

  /** The index ops of one block; the docs become visible to queries once the block commits. */
  async blockOps (committed: CommittedBlock, overlay: StateOverlay): Promise<BatchOp[]> {
    const changes: Change[] = []
    for (const c of committed.changes) {
      if (c.value === null || !startsWith(c.key, CARD_COUNTERS_PREFIX)) continue
      const counters = decodeCounters(c.value) as CardCountersValue
      changes.push({ id: c.key.subarray(CARD_COUNTERS_PREFIX.length), counters })
    }
    const ops: BatchOp[] = []
    const counts = new Map<string, { key: Uint8Array, delta: number }>()
    const olds = await this.getDocs(changes.map(c => c.id))
    const docs: FeedDoc[] = []
    const created: FeedDoc[] = []
    for (let i = 0; i < changes.length; i++) {
      const { id, counters } = changes[i]
      const old = olds[i]
      if (old === undefined) {
        const rec = decodeCard(await overlay.get(cardKey(id)))
        if (rec === undefined) throw new StateError('CORRUPT_STATE', `card counters without a card record for ${bareHex(id)}`)
        const doc = this.fileNew(id, rec, counters, ops, counts)
        docs.push(doc)
        created.push(doc)
      } else {
        const doc = rescore(old, counters)
        if (doc === old) continue
        const lists = scoredLists(doc)
        for (const sort of SCORE_SORTS) {
          if (Buffer.compare(scoreBytes(old, sort), scoreBytes(doc, sort)) === 0) continue
          const after = scoreKeys(doc, sort, lists)
          scoreKeys(old, sort, lists).forEach((before, j) => ops.push({ type: 'del', key: before }, { type: 'put', key: after[j], value: EMPTY }))
        }
        ops.push({ type: 'put', key: docKey(id), value: encodeDoc(doc) })
        docs.push(doc)
      }
    }
    ops.push(...await this.countOps(counts))
    ops.push({ type: 'put', key: HEIGHT_KEY, value: countBytes(committed.height) })
    this.pending = { height: committed.height, docs, created }
    return ops
  }

  /** Called once the block is written: publishes its docs to queries; returns the new cards. */
  onCommitted (committed: CommittedBlock): FeedDoc[] {
    const p = this.pending
    if (p === undefined || p.height !== committed.height) return []
    this.pending = undefined
    for (const d of p.docs) this.docs?.set(bareHex(d.id), d)
    return p.created
  }

  private fileNew (id: Uint8Array, rec: CardRecordValue, counters: CardCountersValue, ops: BatchOp[], counts: Map<string, { key: Uint8Array, delta: number }>): FeedDoc {
    const doc = buildDoc(id, rec, counters)
    const suffix = suffixOf(doc)
    for (const list of postingLists(doc, docWords(rec))) {
      ops.push({ type: 'put', key: concatBytes(list, suffix), value: EMPTY })
      const ck = countKey(list)
      const hk = bareHex(ck)
      const entry = counts.get(hk)
      if (entry === undefined) counts.set(hk, { key: ck, delta: 1 })
      else entry.delta++
    }
    const lists = scoredLists(doc)
    for (const sort of SCORE_SORTS) for (const key of scoreKeys(doc, sort, lists)) ops.push({ type: 'put', key, value: EMPTY })
    ops.push({ type: 'put', key: docKey(id), value: encodeDoc(doc) })
    return doc
  }

  private async countOps (counts: Map<string, { key: Uint8Array, delta: number }>, fresh = false): Promise<BatchOp[]> {
    const entries = [...counts.values()]
    const current = fresh ? [] : await this.kv.getMany(entries.map(e => e.key))
    return entries.map((e, i) => ({ type: 'put', key: e.key, value: countBytes(readCount(current[i]) + e.delta) }))
  }

  /** Index documents of `ids` (undefined for an id that is not a card), cache first. */
  async getDocs (ids: Uint8Array[]): Promise<Array<FeedDoc | undefined>> {
    const out: Array<FeedDoc | undefined> = new Array(ids.length)
    const missing: number[] = []
    for (let i = 0; i < ids.length; i++) {
      const d = this.docs?.get(bareHex(ids[i]))
      if (d !== undefined) out[i] = d
      else missing.push(i)
    }
    if (missing.length > 0) {
      const values = await this.kv.getMany(missing.map(i => docKey(ids[i])))
      missing.forEach((i, j) => {
        const v = values[j]
        if (v === undefined) return
        const d = decodeDoc(v)
        this.docs?.set(bareHex(ids[i]), d)
        out[i] = d
      })
    }
    return out
  }

  async count (list: Uint8Array): Promise<number> {
    return readCount(await this.kv.get(countKey(list)))
  }

  async counts (lists: Uint8Array[]): Promise<number[]> {
    return (await this.kv.getMany(lists.map(countKey))).map(readCount)
  }

  /** Height of the last block the index reflects, and whether its layout version is current. */
  async status (): Promise<{ height: number, current: boolean }> {
    const [h, v] = await this.kv.getMany([HEIGHT_KEY, metaKey('version')])
    const version = v === undefined ? 0 : Number(unpackRecord(v))
    return { height: h === undefined ? -1 : readCount(h), current: version === FEED_INDEX_VERSION }
  }

  /**
   * Rebuilds every index record from the stored blocks 1..head: each successful card.publish
   * (its card record exists in state) is filed from its state records, in block order. The node
   * must not be committing blocks meanwhile. Keeps the cursor secret, so cursors stay valid.
   */
  async rebuild (blocks: BlockStore, head: number, onProgress?: (height: number, cards: number) => void): Promise<{ cards: number }> {
    this.docs?.clear()
    this.pending = undefined
    const keep = bareHex(metaKey('secret'))
    let dels: BatchOp[] = []
    for await (const [k] of this.kv.iterate({ gte: FEED, lt: prefixEnd(FEED) })) {
      if (bareHex(k) === keep) continue
      dels.push({ type: 'del', key: k })
      if (dels.length >= 10_000) { await this.kv.batch(dels); dels = [] }
    }
    await this.kv.batch(dels)
    const counts = new Map<string, { key: Uint8Array, delta: number }>()
    let ops: BatchOp[] = []
    let cards = 0
    for (let h = 1; h <= head; h++) {
      const block = await blocks.block(h)
      if (block === undefined) throw new StateError('CORRUPT_STATE', `block ${h} is missing; cannot rebuild the feed index`)
      const ids = block.txs.filter(t => t.type === 'card.publish').map(t => txId(t))
      if (ids.length === 0) continue
      const values = await this.kv.getMany(ids.flatMap(id => [cardKey(id), cardCountersKey(id)]))
      ids.forEach((id, i) => {
        const rec = decodeCard(values[2 * i])
        const counters = decodeCounters(values[2 * i + 1])
        if (rec === undefined || counters === undefined) return // the publish failed
        this.fileNew(id, rec, counters, ops, counts)
        cards++
      })
      if (ops.length >= 20_000) { await this.kv.batch(ops); ops = [] }
      onProgress?.(h, cards)
    }
    ops.push(...await this.countOps(counts, true))
    ops.push({ type: 'put', key: HEIGHT_KEY, value: countBytes(head) }, { type: 'put', key: metaKey('version'), value: packRecord(FEED_INDEX_VERSION) })
    await this.kv.batch(ops)
    return { cards }
  }

  /** Marks a fresh (empty) index as current, at height `height`. */
  async markCurrent (height: number): Promise<void> {
    await this.kv.batch([{ type: 'put', key: HEIGHT_KEY, value: countBytes(height) }, { type: 'put', key: metaKey('version'), value: packRecord(FEED_INDEX_VERSION) }])
  }
}

/** The doc with the scores of `c`; the same object when nothing the index files by changed. */
export function rescore (old: FeedDoc, c: CardCountersValue): FeedDoc {
  const top = reactionTotal(c)
  const trending = trendingScore(c, old.height)
  if (top === old.top && trending === old.trending && c.seeders === old.seeded && c.flags === old.flags) return old
  return { ...old, top, trending, seeded: c.seeders, flags: c.flags }
}
