/**
 * The feed query planner and executor (MISSION.md §9). A query never scans all cards:
 *
 * 1. Each indexable filter is a union of posting lists (kind[] → one list per kind, tags[] → one
 *    per tag, each text word its own list, …). Their sizes are kept as counts, so the planner picks
 *    the smallest as the driver with one batched read.
 * 2. `new`: the driver's lists are merged newest first by range scans that start below the cursor
 *    and inside since/until. Score sorts: every list but the words has its own score orders, so
 *    the driver's orders are merged highest first the same way. A word (no score orders) of at most
 *    `inMemorySort` cards is read whole and sorted; a larger one hands the drive to the most
 *    selective other filter's score orders (or all cards').
 * 3. Every candidate is checked for the other text words on its posting key (point reads, before
 *    any document loads), then against all filters from its index document (flags by point
 *    reads). At most `scanBudget` candidates are examined per call: when the budget runs out
 *    before the page fills, the page comes back short with a cursor to continue from.
 */
import { bytesEqual, compareBytes, concatBytes, toHex } from '../../codec/index.js'
import type { StateStore } from '../stateStore.js'
import { prefixEnd } from '../keys.js'
import { followeesOf, mutedBy, flaggersOf } from '../cards/social.js'
import { flagKey } from '../cards/records.js'
import type { FeedIndex } from './indexer.js'
import { type FeedDoc, scoreBytes } from './doc.js'
import {
  allList, kindList, creatorList, priceList, parentList, tagList, wordList, scoreOrder, seqOf, tokenize, normalizeTag,
  SUFFIX_BYTES, SCORE_BYTES, SEQ_BYTES, ID_BYTES, type ScoreSort
} from './layout.js'
import { FeedError } from './errors.js'

export type FeedSort = 'new' | ScoreSort
export const FEED_SORTS: readonly FeedSort[] = ['new', 'top', 'trending', 'seeded']

export interface FeedFilter {
  kind?: string[]
  creator?: Uint8Array[]
  followedBy?: Uint8Array
  free?: boolean
  maxPrice?: bigint
  tags?: string[]
  text?: string
  parent?: Uint8Array
  since?: number
  until?: number
  excludeMutedBy?: Uint8Array
  hideFlaggedFor?: Uint8Array
}

export interface FeedQuery {
  filter: FeedFilter
  sort: FeedSort
  /** Exclusive start position in the sort order (from a cursor). */
  after?: Uint8Array
  limit: number
}

export interface FeedPage {
  docs: FeedDoc[]
  /** Where to continue, or null when the order is exhausted. */
  next: Uint8Array | null
  /** Candidates examined, and how the query was driven (for tests, logs and tuning). */
  scanned: number
  plan: string
}

export const QUERY_LIMITS = {
  maxLimit: 100,
  scanBudget: 5_000,
  inMemorySort: 2_000,
  maxUnionLists: 64,
  maxTextWords: 8,
  chunk: 128
}

/** The sets a filter refers to, loaded once per query (or per block, for subscriptions). */
export interface FilterContext {
  creators?: Set<string>
  followees?: Set<string>
  muted?: Set<string>
  /** Accounts whose flags hide a card from this viewer: the viewer and whom it follows. */
  flaggers?: Set<string>
  words: string[]
  kinds?: Set<string>
  tags?: Set<string>
}

export async function loadFilterContext (state: StateStore, f: FeedFilter): Promise<FilterContext> {
  const words = f.text !== undefined ? tokenize(f.text, QUERY_LIMITS.maxTextWords + 1) : []
  if (f.text !== undefined && words.length === 0) throw new FeedError('INVALID_QUERY', 'text has no searchable word (words are 2 or more letters or digits)')
  if (words.length > QUERY_LIMITS.maxTextWords) throw new FeedError('INVALID_QUERY', `text has more than ${QUERY_LIMITS.maxTextWords} words`)
  const ctx: FilterContext = { words }
  if (f.kind !== undefined) ctx.kinds = new Set(f.kind)
  if (f.tags !== undefined) ctx.tags = new Set(f.tags.map(normalizeTag))
  if (f.creator !== undefined) ctx.creators = new Set(f.creator.map(toHex))
  // the social sets are independent reads: issued together
  const [followees, muted, flaggers] = await Promise.all([
    f.followedBy === undefined ? undefined : followeesOf(state, f.followedBy),
    f.excludeMutedBy === undefined ? undefined : mutedBy(state, f.excludeMutedBy),
    f.hideFlaggedFor === undefined ? undefined : followeesOf(state, f.hideFlaggedFor)
  ])
  if (followees !== undefined) ctx.followees = followees
  if (muted !== undefined) ctx.muted = muted
  if (flaggers !== undefined && f.hideFlaggedFor !== undefined) {
    flaggers.add(toHex(f.hideFlaggedFor))
    ctx.flaggers = flaggers
  }
  return ctx
}

/** The filters an index document answers by itself. */
export function matchesDoc (d: FeedDoc, f: FeedFilter, ctx: FilterContext): boolean {
  if (ctx.kinds !== undefined && !ctx.kinds.has(d.kind)) return false
  if (f.free !== undefined && (d.price === 0n) !== f.free) return false
  if (f.maxPrice !== undefined && d.price > f.maxPrice) return false
  if (f.parent !== undefined && (d.parent === null || !bytesEqual(d.parent, f.parent))) return false
  if (f.since !== undefined && d.height < f.since) return false
  if (f.until !== undefined && d.height > f.until) return false
  if (ctx.tags !== undefined && !d.tags.some(t => ctx.tags?.has(t) === true)) return false
  if (ctx.creators !== undefined || ctx.followees !== undefined || ctx.muted !== undefined) {
    const creator = toHex(d.creator)
    if (ctx.creators !== undefined && !ctx.creators.has(creator)) return false
    if (ctx.followees !== undefined && !ctx.followees.has(creator)) return false
    if (ctx.muted?.has(creator) === true) return false
  }
  return true
}

/**
 * Which of the cards (given by their `seq ‖ id` suffixes) contain every word of `words`: one
 * batched point read per word in its posting list, narrowing as it goes. It needs no documents,
 * so the executor runs it before loading any.
 */
export async function withWords (index: FeedIndex, suffixes: Uint8Array[], words: string[]): Promise<boolean[]> {
  const keep = suffixes.map(() => true)
  for (const w of words) {
    const at = keep.flatMap((k, i) => k ? [i] : [])
    if (at.length === 0) break
    const list = wordList(w)
    const present = await index.kv.getMany(at.map(i => concatBytes(list, suffixes[i])))
    at.forEach((i, j) => { if (present[j] === undefined) keep[i] = false })
  }
  return keep
}

/**
 * The full filter over a batch of documents, in order: the document tests, then the text words
 * (one batched point read per word; `wordsChecked` when the caller did that already) and flags
 * (bounded by the viewer's follow limit).
 */
export async function filterDocs (index: FeedIndex, state: StateStore, docs: FeedDoc[], f: FeedFilter, ctx: FilterContext, skipWord?: string, wordsChecked = false): Promise<FeedDoc[]> {
  let out = docs.filter(d => matchesDoc(d, f, ctx))
  if (!wordsChecked) {
    const words = ctx.words.filter(w => w !== skipWord)
    const keep = await withWords(index, out.map(d => concatBytes(d.seq, d.id)), words)
    out = out.filter((_, i) => keep[i])
  }
  if (ctx.flaggers !== undefined && ctx.flaggers.size > 0) {
    const flaggers = ctx.flaggers
    const keep: FeedDoc[] = []
    for (const d of out) {
      if (d.flags === 0) { keep.push(d); continue }
      let hidden = false
      if (d.flags <= flaggers.size) {
        for (const a of await flaggersOf(state, d.id, d.flags)) if (flaggers.has(a)) { hidden = true; break }
      } else {
        const accounts = [...flaggers].map(h => Buffer.from(h.slice(2), 'hex'))
        const got = await index.kv.getMany(accounts.map(a => flagKey(d.id, a)))
        hidden = got.some(v => v !== undefined)
      }
      if (!hidden) keep.push(d)
    }
    out = keep
  }
  return out
}

interface Component { label: string, lists: Uint8Array[], word?: string }

function components (f: FeedFilter, ctx: FilterContext): Component[] {
  const out: Component[] = []
  if (f.kind !== undefined) out.push({ label: 'kind', lists: f.kind.map(kindList) })
  if (f.creator !== undefined) out.push({ label: 'creator', lists: f.creator.map(creatorList) })
  else if (ctx.followees !== undefined && ctx.followees.size <= QUERY_LIMITS.maxUnionLists) {
    out.push({ label: 'followedBy', lists: [...ctx.followees].map(h => creatorList(Buffer.from(h.slice(2), 'hex'))) })
  }
  if (f.free === true || f.maxPrice === 0n) out.push({ label: 'free', lists: [priceList(false)] })
  else if (f.free === false) out.push({ label: 'paid', lists: [priceList(true)] })
  if (f.tags !== undefined) out.push({ label: 'tags', lists: [...(ctx.tags ?? [])].map(tagList) })
  for (const w of ctx.words) out.push({ label: `word:${w}`, lists: [wordList(w)], word: w })
  if (f.parent !== undefined) out.push({ label: 'parent', lists: [parentList(f.parent)] })
  return out
}

/**
 * Reads one posting list newest first, a chunk at a time, within [lo, hi). The first read is
 * small (about a page) and each further one doubles up to `QUERY_LIMITS.chunk`: a page of 20 from
 * a merge of 20 followees' lists then reads a few hundred keys, not 20 × 128.
 */
class ListScan {
  private buf: Uint8Array[] = []
  private at = 0
  done = false
  constructor (private readonly index: FeedIndex, readonly prefix: Uint8Array, private readonly lo: Uint8Array, private hi: Uint8Array, private chunk: number) {}

  /** The next key (without the prefix), or undefined at the end; synchronous while buffered. */
  peek (): Uint8Array | undefined {
    return this.at < this.buf.length ? this.buf[this.at] : undefined
  }

  async head (): Promise<Uint8Array | undefined> {
    if (this.at < this.buf.length) return this.buf[this.at]
    if (this.done) return undefined
    const chunk = this.chunk
    this.chunk = Math.min(chunk * 2, QUERY_LIMITS.chunk)
    const keys = await this.index.kv.keys({ gte: this.lo, lt: this.hi, reverse: true, limit: chunk })
    if (keys.length < chunk) this.done = true
    if (keys.length === 0) return undefined
    this.hi = keys[keys.length - 1]
    this.buf = keys.map(k => k.subarray(this.prefix.length))
    this.at = 0
    return this.buf[0]
  }

  pop (): void { this.at++ }

  /** Whether the next `head()` has to read the store. */
  get dry (): boolean { return this.at >= this.buf.length && !this.done }
}

function rangeOf (prefix: Uint8Array, f: FeedFilter, after: Uint8Array | undefined, bySeq: boolean): [Uint8Array, Uint8Array] {
  let lo = prefix
  let hi = prefixEnd(prefix)
  if (bySeq && f.since !== undefined) lo = concatBytes(prefix, seqOf(f.since, 0))
  if (bySeq && f.until !== undefined) {
    const u = concatBytes(prefix, seqOf(f.until + 1, 0))
    if (compareBytes(u, hi) < 0) hi = u
  }
  if (after !== undefined) {
    const a = concatBytes(prefix, after)
    if (compareBytes(a, hi) < 0) hi = a
  }
  return [lo, hi]
}

function positionOf (d: FeedDoc, sort: FeedSort): Uint8Array {
  return sort === 'new' ? concatBytes(d.seq, d.id) : concatBytes(scoreBytes(d, sort), d.seq, d.id)
}

export async function runFeedQuery (index: FeedIndex, state: StateStore, q: FeedQuery): Promise<FeedPage> {
  const { filter: f, sort } = q
  const limit = Math.min(Math.max(1, q.limit), QUERY_LIMITS.maxLimit)
  const posLen = sort === 'new' ? SUFFIX_BYTES : SCORE_BYTES + SUFFIX_BYTES
  if (q.after !== undefined && q.after.length !== posLen) throw new FeedError('INVALID_CURSOR', 'cursor position does not fit this sort')
  if (f.since !== undefined && f.until !== undefined && f.since > f.until) return { docs: [], next: null, scanned: 0, plan: 'empty:since>until' }
  const ctx = await loadFilterContext(state, f)
  if (ctx.followees?.size === 0) return { docs: [], next: null, scanned: 0, plan: 'empty:follows-nobody' }

  const comps = components(f, ctx)
  const counts = await index.counts(comps.flatMap(c => c.lists))
  let at = 0
  const sized = comps.map(c => {
    const n = counts.slice(at, at + c.lists.length).reduce((a, b) => a + b, 0)
    at += c.lists.length
    return { c, n }
  })
  const smallest = (xs: typeof sized): { c: Component, n: number } =>
    xs.reduce<{ c: Component, n: number }>((best, e) => e.n < best.n ? e : best, { c: { label: 'all', lists: [allList()] }, n: Infinity })
  let { c: driver, n: driverCount } = smallest(sized)
  if (driverCount === 0) return { docs: [], next: null, scanned: 0, plan: `empty:${driver.label}` }

  if (sort !== 'new' && driver.word !== undefined) {
    // words have no score orders: a small word list is read whole and sorted; otherwise the
    // score order of the most selective other filter (or of all cards) is scanned
    if (driverCount <= QUERY_LIMITS.inMemorySort) return await sortInMemory(index, state, q, limit, driver, ctx)
    const other = smallest(sized.filter(e => e.c.word === undefined))
    driver = other.c
    driverCount = other.n
  }
  const sources = sort === 'new' ? driver.lists : driver.lists.map(l => scoreOrder(sort, l))
  // a first read of about a page per list; later reads grow (see ListScan)
  const firstChunk = Math.min(QUERY_LIMITS.chunk, limit + 4)
  const scans = sources.map(p => new ListScan(index, p, ...rangeOf(p, f, q.after, sort === 'new'), firstChunk))
  const plan = sort === 'new' ? `merge:${driver.label}(${driverCount})` : `score:${sort}:${driver.label}(${driverCount})`
  const skipWord = sort === 'new' ? driver.word : undefined
  const words = ctx.words.filter(w => w !== skipWord)
  const docs: FeedDoc[] = []
  let scanned = 0
  let last: Uint8Array | undefined
  // candidates per batch of doc loads: about a page first, doubling while the filter rejects
  let want = firstChunk
  for (;;) {
    // the next chunk of candidates, newest (or highest) first, duplicates across lists dropped
    const chunk: Uint8Array[] = []
    const size = Math.min(want, QUERY_LIMITS.chunk, QUERY_LIMITS.scanBudget - scanned)
    want *= 2
    while (chunk.length < size) {
      // lists that ran dry are read together: a union of many lists costs one round, not one per list
      const dry = scans.filter(s => s.dry)
      if (dry.length > 1) await Promise.all(dry.map(async s => await s.head()))
      let best: ListScan | undefined
      let bestKey: Uint8Array | undefined
      for (const s of scans) {
        const h = s.peek() ?? await s.head()
        if (h !== undefined && (bestKey === undefined || compareBytes(h, bestKey) > 0)) { best = s; bestKey = h }
      }
      if (best === undefined || bestKey === undefined) break
      best.pop()
      if (chunk.length > 0 && bytesEqual(chunk[chunk.length - 1], bestKey)) continue
      if (last !== undefined && bytesEqual(last, bestKey)) continue
      chunk.push(bestKey)
    }
    if (chunk.length === 0) return { docs, next: null, scanned, plan }
    // text words are checked on the posting keys first, so only their survivors' documents load
    const hasWords = await withWords(index, chunk.map(k => k.subarray(k.length - SUFFIX_BYTES)), words)
    const survivors = chunk.filter((_, i) => hasWords[i])
    const found = await index.getDocs(survivors.map(k => k.subarray(k.length - ID_BYTES)))
    const present = found.filter((d): d is FeedDoc => d !== undefined)
    const matched = new Set(await filterDocs(index, state, present, f, ctx, skipWord, true))
    let next = 0
    for (let i = 0; i < chunk.length; i++) {
      scanned++
      last = chunk[i]
      if (hasWords[i]) {
        const d = found[next++]
        if (d !== undefined && matched.has(d)) {
          docs.push(d)
          if (docs.length === limit) return { docs, next: last, scanned, plan }
        }
      }
      if (scanned >= QUERY_LIMITS.scanBudget) return { docs, next: last, scanned, plan: `${plan}:budget` }
    }
  }
}

/** A small word list under a score order: read it whole, filter, sort by (score, seq, id) desc. */
async function sortInMemory (index: FeedIndex, state: StateStore, q: FeedQuery, limit: number, driver: Component, ctx: FilterContext): Promise<FeedPage> {
  const suffixes = new Map<string, Uint8Array>()
  for (const p of driver.lists) {
    const [lo, hi] = rangeOf(p, q.filter, undefined, true)
    for (const k of await index.kv.keys({ gte: lo, lt: hi })) {
      const suffix = k.subarray(k.length - SUFFIX_BYTES)
      suffixes.set(toHex(suffix), suffix)
    }
  }
  const all = [...suffixes.values()]
  const hasWords = await withWords(index, all, ctx.words.filter(w => w !== driver.word))
  const docs = (await index.getDocs(all.filter((_, i) => hasWords[i]).map(s => s.subarray(SEQ_BYTES)))).filter((d): d is FeedDoc => d !== undefined)
  const matched = await filterDocs(index, state, docs, q.filter, ctx, driver.word, true)
  const sort = q.sort as ScoreSort
  let ranked = matched.map(d => ({ d, pos: positionOf(d, sort) })).sort((a, b) => compareBytes(b.pos, a.pos))
  if (q.after !== undefined) {
    const after = q.after
    ranked = ranked.filter(r => compareBytes(r.pos, after) < 0)
  }
  const page = ranked.slice(0, limit)
  const next = ranked.length > limit ? page[page.length - 1].pos : null
  return { docs: page.map(r => r.d), next, scanned: all.length, plan: `memory:${driver.label}(${all.length})` }
}
