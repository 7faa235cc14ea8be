/**
 * Feed JSON-RPC methods (MISSION.md §9): `card_get`, `feed_query` and, over WebSocket,
 * `subscribe {topic: "newHeads" | "feed", filter}` / `unsubscribe`. Parameters are checked field by
 * field with bounded arrays; every filter and sort runs on the feed indexes (src/state/feed).
 */
import { CARD_KINDS, CardPublishBody } from '../../blocks/index.js'
import { toHex } from '../../codec/index.js'
import { encodeAddress, randomBytes } from '../../crypto/index.js'
import type { Chain, CommittedBlock } from '../../state/index.js'
import {
  cardKey, cardCountersKey, profileKey, decodeCard, decodeCounters, decodeProfile, reactionTotal,
  FeedIndex, runFeedQuery, loadFilterContext, filterDocs, encodeCursor, decodeCursor, queryDigest,
  FEED_SORTS, QUERY_LIMITS, MAX_CURSOR_CHARS, type FeedFilter, type FeedSort, type FeedDoc
} from '../../state/index.js'
import type { MethodTable, CallContext } from '../jsonrpc.js'
import { RpcError, invalidParams, notFound } from '../errors.js'
import { objectParams, has, hexParam, addressParam, intParam, stringParam, boolParam, amountParam, type Params } from '../params.js'

export const FILTER_KEYS = ['kind', 'creator', 'followedBy', 'free', 'maxPrice', 'tags', 'text', 'parent', 'since', 'until', 'excludeMutedBy', 'hideFlaggedFor'] as const
export const FILTER_LIMITS = { kinds: CARD_KINDS.length, creators: 100, tags: 10, tagChars: 32, textChars: 200 }

function arrayParam (p: Params, name: string, max: number): unknown[] {
  const v = p[name]
  if (!Array.isArray(v)) throw invalidParams(`filter "${name}" must be an array`)
  if (v.length === 0) throw invalidParams(`filter "${name}" must not be empty (leave it out to match everything)`)
  if (v.length > max) throw invalidParams(`filter "${name}" has ${v.length} items; at most ${max}`)
  return v
}

/** Parses a filter object; refuses unknown fields, wrong types and oversized arrays. */
export function parseFilter (raw: unknown): FeedFilter {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw invalidParams('"filter" must be an object')
  const p = objectParams(raw, FILTER_KEYS)
  const f: FeedFilter = {}
  if (has(p, 'kind')) {
    f.kind = arrayParam(p, 'kind', FILTER_LIMITS.kinds).map(k => {
      if (typeof k !== 'string' || !(CARD_KINDS as readonly string[]).includes(k)) throw invalidParams(`filter "kind": ${JSON.stringify(k)} is not one of ${CARD_KINDS.join(', ')}`)
      return k
    })
  }
  if (has(p, 'creator')) f.creator = arrayParam(p, 'creator', FILTER_LIMITS.creators).map((a, i) => addressParam({ [`creator[${i}]`]: a }, `creator[${i}]`))
  if (has(p, 'followedBy')) f.followedBy = addressParam(p, 'followedBy')
  if (has(p, 'free')) f.free = boolParam(p, 'free')
  if (has(p, 'maxPrice')) f.maxPrice = typeof p.maxPrice === 'number' ? BigInt(intParam(p, 'maxPrice', { min: 0 })) : amountParam(p, 'maxPrice')
  if (has(p, 'tags')) {
    f.tags = arrayParam(p, 'tags', FILTER_LIMITS.tags).map((t, i) => {
      if (typeof t !== 'string' || t === '' || t.length > FILTER_LIMITS.tagChars) throw invalidParams(`filter "tags[${i}]" must be a tag of 1 to ${FILTER_LIMITS.tagChars} characters`)
      return t
    })
  }
  if (has(p, 'text')) f.text = stringParam(p, 'text', { max: FILTER_LIMITS.textChars })
  if (has(p, 'parent')) f.parent = hexParam(p, 'parent', 32)
  if (has(p, 'since')) f.since = intParam(p, 'since', { min: 0 })
  if (has(p, 'until')) f.until = intParam(p, 'until', { min: 0 })
  if (has(p, 'excludeMutedBy')) f.excludeMutedBy = addressParam(p, 'excludeMutedBy')
  if (has(p, 'hideFlaggedFor')) f.hideFlaggedFor = addressParam(p, 'hideFlaggedFor')
  return f
}

/** A canonical form of a parsed filter: its digest binds cursors to the query they came from. */
export function canonicalFilter (f: FeedFilter): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of FILTER_KEYS) {
    const v = f[k]
    if (v === undefined) continue
    if (Array.isArray(v)) out[k] = v.map(x => x instanceof Uint8Array ? toHex(x) : x).sort()
    else out[k] = v instanceof Uint8Array ? toHex(v) : typeof v === 'bigint' ? v.toString() : v
  }
  return out
}

export interface FeedMethodsDeps {
  chain: Chain
  index: FeedIndex
  secret: Uint8Array
  hub?: FeedHub
}

/**
 * Cards with all their counters, as the RPC shows them (undefined for an unknown id); the preview
 * only when asked for. Reads go straight to the store in two batched reads (cards and counters,
 * then the creators' profiles) and never through the state cache, so an RPC read racing a commit
 * cannot leave a stale value in the cache the state machine executes against.
 */
export async function cardsJSON (chain: Chain, ids: Uint8Array[], withPreview: boolean): Promise<Array<Record<string, unknown> | undefined>> {
  if (ids.length === 0) return []
  const values = await chain.kv.getMany(ids.flatMap(id => [cardKey(id), cardCountersKey(id)]))
  const recs = ids.map((_, i) => ({ rec: decodeCard(values[2 * i]), c: decodeCounters(values[2 * i + 1]) }))
  const creators = [...new Map(recs.filter(r => r.rec !== undefined).map(r => [toHex(r.rec!.creator), r.rec!.creator])).entries()]
  const profiles = new Map<string, string | null>()
  const pv = await chain.kv.getMany(creators.map(([, a]) => profileKey(a)))
  creators.forEach(([h], i) => profiles.set(h, decodeProfile(pv[i])?.name ?? null))
  return recs.map(({ rec, c }, i) => {
    if (rec === undefined || c === undefined) return undefined
    const { preview, ...rest } = CardPublishBody.toJSON(rec.card) as Record<string, unknown>
    return {
      id: toHex(ids[i]),
      ...rest,
      ...(withPreview ? { preview } : {}),
      previewBytes: rec.card.preview.length,
      free: rec.card.price === 0n,
      creator: encodeAddress(rec.creator),
      creatorName: profiles.get(toHex(rec.creator)) ?? null,
      height: rec.height,
      index: rec.index,
      time: rec.time,
      counters: {
        reactions: { like: c.like, love: c.love, laugh: c.laugh, wow: c.wow, sad: c.sad, angry: c.angry },
        reactionsTotal: reactionTotal(c),
        replies: c.replies,
        reposts: c.reposts,
        views: c.views,
        keysSold: c.keysSold,
        seeders: c.seeders,
        flags: c.flags
      }
    }
  })
}

function parseSort (p: Params): FeedSort {
  if (!has(p, 'sort')) return 'new'
  const s = p.sort
  if (typeof s !== 'string' || !(FEED_SORTS as readonly string[]).includes(s)) throw invalidParams(`"sort" must be one of ${FEED_SORTS.join(', ')}`)
  return s as FeedSort
}

export function feedMethods (deps: FeedMethodsDeps): MethodTable {
  const { chain, index, secret } = deps
  const methods: MethodTable = {
    card_get: async (raw) => {
      const p = objectParams(raw, ['card', 'withPreview'])
      const id = hexParam(p, 'card', 32)
      const [card] = await cardsJSON(chain, [id], has(p, 'withPreview') ? boolParam(p, 'withPreview') : true)
      if (card === undefined) throw notFound(`card ${toHex(id)} does not exist (at height ${chain.head().height})`)
      return card
    },

    feed_query: async (raw) => {
      const p = objectParams(raw, ['filter', 'sort', 'cursor', 'limit', 'withPreview'])
      const filter = parseFilter(p.filter)
      const sort = parseSort(p)
      const limit = has(p, 'limit') ? intParam(p, 'limit', { min: 1, max: QUERY_LIMITS.maxLimit }) : 20
      const withPreview = has(p, 'withPreview') ? boolParam(p, 'withPreview') : false
      const digest = queryDigest({ f: canonicalFilter(filter), s: sort })
      let after: Uint8Array | undefined
      if (has(p, 'cursor')) {
        if (typeof p.cursor !== 'string' || p.cursor.length > MAX_CURSOR_CHARS) throw invalidParams(`"cursor" must be a cursor string of at most ${MAX_CURSOR_CHARS} characters`)
        after = decodeCursor(secret, p.cursor, sort, digest)
      }
      const head = chain.head().height
      const page = await runFeedQuery(index, chain.state, { filter, sort, after, limit })
      const items = (await cardsJSON(chain, page.docs.map(d => d.id), withPreview)).filter(x => x !== undefined)
      return {
        items,
        cursor: page.next === null ? null : encodeCursor(secret, sort, digest, page.next),
        // a short page with a cursor means the scan budget ran out, not that the feed ended
        exhausted: page.next === null,
        scanned: page.scanned,
        height: head
      }
    }
  }
  if (deps.hub !== undefined) Object.assign(methods, deps.hub.methods())
  return methods
}

interface Subscription {
  id: string
  topic: 'newHeads' | 'feed'
  filter: FeedFilter
  push: (message: unknown) => void
}

export const SUBSCRIPTION_LIMITS = { perConnection: 16, total: 10_000 }

/**
 * WebSocket subscriptions. On each committed block, `newHeads` subscribers get the head and
 * `feed` subscribers every new card of the block that passes their filter — the same filter code
 * as `feed_query`, so a subscription and a query agree on what matches. Pushes are queued so
 * they arrive in block order.
 */
export class FeedHub {
  private readonly subs = new Map<string, Subscription>()
  private readonly byConnection = new Map<(m: unknown) => void, Set<string>>()
  private queue: Promise<void> = Promise.resolve()

  constructor (private readonly chain: Chain, private readonly index: FeedIndex, private readonly log?: { warn: (o: unknown, m?: string) => void }) {}

  get size (): number { return this.subs.size }

  methods (): MethodTable {
    return {
      subscribe: (raw, ctx) => this.subscribe(raw, ctx),
      unsubscribe: (raw, ctx) => {
        const p = objectParams(raw, ['subscription'])
        const id = stringParam(p, 'subscription', { max: 64 })
        const sub = this.subs.get(id)
        if (sub === undefined || sub.push !== ctx.push) throw notFound(`no subscription ${id} on this connection`)
        this.drop(id)
        return true
      }
    }
  }

  private subscribe (raw: unknown, ctx: CallContext): { subscription: string } {
    const push = ctx.push
    if (push === undefined) throw new RpcError('INVALID_REQUEST', 'subscribe needs a WebSocket connection: connect to /ws')
    const p = objectParams(raw, ['topic', 'filter'])
    const topic = p.topic
    if (topic !== 'newHeads' && topic !== 'feed') throw invalidParams('"topic" must be "newHeads" or "feed"')
    if (topic === 'newHeads' && has(p, 'filter')) throw invalidParams('"newHeads" takes no filter')
    const filter = topic === 'feed' ? parseFilter(p.filter) : {}
    let mine = this.byConnection.get(push)
    if ((mine?.size ?? 0) >= SUBSCRIPTION_LIMITS.perConnection) throw new RpcError('RATE_LIMITED', `at most ${SUBSCRIPTION_LIMITS.perConnection} subscriptions per connection; unsubscribe one first`)
    if (this.subs.size >= SUBSCRIPTION_LIMITS.total) throw new RpcError('UNAVAILABLE', 'this node has reached its subscription limit; try again later')
    const id = toHex(randomBytes(16))
    this.subs.set(id, { id, topic, filter, push })
    if (mine === undefined) {
      mine = new Set()
      this.byConnection.set(push, mine)
      ctx.onClose?.(() => { for (const s of [...(this.byConnection.get(push) ?? [])]) this.drop(s) })
    }
    mine.add(id)
    return { subscription: id }
  }

  private drop (id: string): void {
    const sub = this.subs.get(id)
    if (sub === undefined) return
    this.subs.delete(id)
    const mine = this.byConnection.get(sub.push)
    mine?.delete(id)
    if (mine?.size === 0) this.byConnection.delete(sub.push)
  }

  /** Queues the pushes of a committed block; `created` are its new cards (from the indexer). */
  onBlock (b: CommittedBlock, created: FeedDoc[]): void {
    if (this.subs.size === 0) return
    this.queue = this.queue.then(async () => await this.deliver(b, created)).catch(err => this.log?.warn({ err }, 'subscription delivery failed'))
  }

  /** Resolves once every queued push has been sent (tests, shutdown). */
  async idle (): Promise<void> { await this.queue }

  private async deliver (b: CommittedBlock, created: FeedDoc[]): Promise<void> {
    const head = { height: b.height, hash: toHex(b.hash), time: b.block.header.time, txs: b.block.txs.length, stateRoot: toHex(this.chain.head().stateRoot) }
    const cache = new Map<string, Record<string, unknown> | undefined>()
    for (const sub of [...this.subs.values()]) {
      if (sub.topic === 'newHeads') {
        sub.push({ jsonrpc: '2.0', method: 'subscription', params: { subscription: sub.id, topic: 'newHeads', result: head } })
        continue
      }
      if (created.length === 0) continue
      try {
        const ctx = await loadFilterContext(this.chain.state, sub.filter)
        if (ctx.followees?.size === 0) continue
        for (const d of await filterDocs(this.index, this.chain.state, created, sub.filter, ctx)) {
          const key = toHex(d.id)
          if (!cache.has(key)) cache.set(key, (await cardsJSON(this.chain, [d.id], false))[0])
          const card = cache.get(key)
          if (card !== undefined && this.subs.has(sub.id)) sub.push({ jsonrpc: '2.0', method: 'subscription', params: { subscription: sub.id, topic: 'feed', result: card } })
        }
      } catch (err) {
        this.log?.warn({ err, subscription: sub.id }, 'feed subscription filter failed')
      }
    }
  }

  close (): void {
    this.subs.clear()
    this.byConnection.clear()
  }
}
