import { expect } from 'chai'
import fc from 'fast-check'
import { bytesEqual, compareBytes, toHex } from '../../../src/codec/index.js'
import {
  runFeedQuery, QUERY_LIMITS, FEED, metaKey, prefixEnd, floatScore, uintScore, seqOf,
  type FeedFilter, type FeedSort, type FeedDoc
} from '../../../src/state/index.js'
import { buildWorld, refreshScores, type World, type ModelCard } from './fixture.js'
import { commit } from './helpers.js'

function modelMatches (w: World, c: ModelCard, f: ModelFilter): boolean {
  if (f.kind !== undefined && !f.kind.includes(c.kind)) return false
  if (f.creator !== undefined && !f.creator.includes(c.creator)) return false
  if (f.followedBy !== undefined && !(w.follows.get(f.followedBy)?.has(c.creator) ?? false)) return false
  if (f.free !== undefined && (c.price === 0n) !== f.free) return false
  if (f.maxPrice !== undefined && c.price > f.maxPrice) return false
  if (f.tags !== undefined && !f.tags.some(t => c.tags.includes(t.toLowerCase()))) return false
  if (f.text !== undefined && !f.text.toLowerCase().split(' ').every(word => c.words.includes(word))) return false
  if (f.parent !== undefined && (c.parent === null || !bytesEqual(c.parent, w.cards[f.parent].id))) return false
  if (f.since !== undefined && c.height < f.since) return false
  if (f.until !== undefined && c.height > f.until) return false
  if (f.excludeMutedBy !== undefined && (w.mutes.get(f.excludeMutedBy)?.has(c.creator) ?? false)) return false
  if (f.hideFlaggedFor !== undefined) {
    const v = f.hideFlaggedFor
    const visible = new Set([v, ...(w.follows.get(v) ?? [])])
    if ([...c.flaggers].some(a => visible.has(a))) return false
  }
  return true
}

function sortKey (c: ModelCard, sort: FeedSort): Uint8Array {
  const seq = Buffer.concat([seqOf(c.height, c.index), c.id])
  if (sort === 'new') return seq
  const score = sort === 'top' ? uintScore(c.top) : sort === 'trending' ? floatScore(c.trending) : uintScore(0)
  return Buffer.concat([score, seq])
}

interface ModelFilter {
  kind?: string[], creator?: number[], followedBy?: number, free?: boolean, maxPrice?: bigint, tags?: string[], text?: string,
  parent?: number, since?: number, until?: number, excludeMutedBy?: number, hideFlaggedFor?: number
}

function toFilter (w: World, m: ModelFilter): FeedFilter {
  const f: FeedFilter = {}
  if (m.kind !== undefined) f.kind = m.kind
  if (m.creator !== undefined) f.creator = m.creator.map(i => w.accounts[i].address)
  if (m.followedBy !== undefined) f.followedBy = w.accounts[m.followedBy].address
  if (m.free !== undefined) f.free = m.free
  if (m.maxPrice !== undefined) f.maxPrice = m.maxPrice
  if (m.tags !== undefined) f.tags = m.tags
  if (m.text !== undefined) f.text = m.text
  if (m.parent !== undefined) f.parent = w.cards[m.parent].id
  if (m.since !== undefined) f.since = m.since
  if (m.until !== undefined) f.until = m.until
  if (m.excludeMutedBy !== undefined) f.excludeMutedBy = w.accounts[m.excludeMutedBy].address
  if (m.hideFlaggedFor !== undefined) f.hideFlaggedFor = w.accounts[m.hideFlaggedFor].address
  return f
}

/** Pages through a query to its end, checking each page's size and the cursor's progress. */
async function allPages (w: World, filter: FeedFilter, sort: FeedSort, limit: number): Promise<FeedDoc[]> {
  const out: FeedDoc[] = []
  let after: Uint8Array | undefined
  for (let guard = 0; guard < 1000; guard++) {
    const page = await runFeedQuery(w.index, w.chain.state, { filter, sort, after, limit })
    expect(page.docs.length).to.be.at.most(limit)
    out.push(...page.docs)
    if (page.next === null) return out
    if (after !== undefined) expect(compareBytes(page.next, after)).to.be.lessThan(0)
    after = page.next
  }
  throw new Error('query never ended')
}

const FILTER_NAMES = { kind: 1, creator: 1, followedBy: 1, free: 1, maxPrice: 1, tags: 1, text: 1, parent: 1, since: 1, until: 1, excludeMutedBy: 1, hideFlaggedFor: 1 }
const allFilters = fc.record({
  kind: fc.subarray(['text', 'image', 'video', 'software', 'audio'], { minLength: 1 }),
  creator: fc.subarray([0, 1, 2, 3], { minLength: 1 }),
  followedBy: fc.constantFrom(4, 5),
  free: fc.boolean(),
  maxPrice: fc.constantFrom(0n, 1000n, 4999n),
  tags: fc.subarray(['music', 'art', 'NEWS', 'rust', 'none'], { minLength: 1 }),
  text: fc.constantFrom('alpha', 'beta gamma', 'OMEGA', 'music', 'zzz'),
  parent: fc.constantFrom(0, 1, 2, 3),
  since: fc.integer({ min: 1, max: 5 }),
  until: fc.integer({ min: 1, max: 5 }),
  excludeMutedBy: fc.constant(4),
  hideFlaggedFor: fc.constantFrom(4, 5)
})
/** Up to three filters at once: more would almost never match anything in a 40-card world. */
const filterArb = fc.tuple(allFilters, fc.subarray(Object.keys(FILTER_NAMES), { maxLength: 3 }))
  .map(([all, keys]) => Object.fromEntries(keys.map(k => [k, all[k as keyof typeof all]])) as ModelFilter)

describe('feed: queries against a brute-force model', function () {
  this.timeout(60_000)
  let w: World
  const saved = { ...QUERY_LIMITS }
  before(async () => { w = await buildWorld() })
  after(async () => { Object.assign(QUERY_LIMITS, saved); await w.close() })
  afterEach(() => { Object.assign(QUERY_LIMITS, saved) })

  const stats = { runs: 0, nonEmpty: 0 }
  it('has a model world where most random filters match something', async () => {
    await fc.assert(fc.asyncProperty(filterArb, async (m) => {
      stats.runs++
      if (w.cards.some(c => modelMatches(w, c, m))) stats.nonEmpty++
    }), { numRuns: 200 })
    expect(stats.nonEmpty).to.be.greaterThan(stats.runs / 2)
  })

  for (const mode of ['default limits', 'tiny limits (score scans, short budgets)'] as const) {
    it(`answers every filter and sort exactly, page by page, with ${mode}`, async () => {
      if (mode !== 'default limits') Object.assign(QUERY_LIMITS, { inMemorySort: 3, scanBudget: 7, chunk: 4 })
      await fc.assert(fc.asyncProperty(filterArb, fc.constantFrom<FeedSort>('new', 'top', 'trending', 'seeded'), fc.integer({ min: 1, max: 9 }), async (m, sort, limit) => {
        const expected = w.cards.filter(c => modelMatches(w, c, m)).sort((a, b) => compareBytes(sortKey(b, sort), sortKey(a, sort)))
        const got = await allPages(w, toFilter(w, m), sort, limit)
        stats.runs++
        if (expected.length > 0) stats.nonEmpty++
        expect(got.map(d => toHex(d.id))).to.deep.equal(expected.map(c => toHex(c.id)))
      }), { numRuns: 120 })
    })
  }

  it('drives from the most selective index instead of scanning', async () => {
    const f = toFilter(w, { creator: [2], tags: ['rust'] })
    const page = await runFeedQuery(w.index, w.chain.state, { filter: f, sort: 'new', limit: 100 })
    const lists = page.plan
    expect(lists).to.match(/^merge:(creator|tags)\(\d+\)$/)
    expect(page.scanned).to.be.at.most(w.cards.filter(c => c.creator === 2 || c.tags.includes('rust')).length)
    const memory = await runFeedQuery(w.index, w.chain.state, { filter: toFilter(w, { parent: 0 }), sort: 'top', limit: 5 })
    expect(memory.plan).to.match(/^score:top:parent\(\d+\)$/)
  })

  it('keeps pages stable while new cards arrive between them', async () => {
    const first = await runFeedQuery(w.index, w.chain.state, { filter: {}, sort: 'new', limit: 10 })
    const before = w.cards.length
    const txs = Array.from({ length: 6 }, (_, i) => w.sender.publish(w.accounts[i % 4], { body: `fresh ${i}` }).tx)
    await commit(w.chain, txs)
    const rest = await (async () => {
      const out: FeedDoc[] = []
      let after = first.next ?? undefined
      while (after !== undefined) {
        const p = await runFeedQuery(w.index, w.chain.state, { filter: {}, sort: 'new', after, limit: 10 })
        out.push(...p.docs)
        after = p.next ?? undefined
      }
      return out
    })()
    const ids = [...first.docs, ...rest].map(d => toHex(d.id))
    expect(new Set(ids).size).to.equal(ids.length)
    expect(ids.length).to.equal(before)
    const fresh = await runFeedQuery(w.index, w.chain.state, { filter: {}, sort: 'new', limit: 6 })
    expect(fresh.docs.map(d => d.height)).to.deep.equal(new Array(6).fill(w.chain.head().height))
  })

  it('rebuilds from blocks exactly the index it kept live', async () => {
    const dump = async (): Promise<string[]> => {
      const out: string[] = []
      const secret = toHex(metaKey('secret'))
      for await (const [k, v] of w.chain.kv.iterate({ gte: FEED, lt: prefixEnd(FEED) })) if (toHex(k) !== secret) out.push(`${toHex(k)}=${toHex(v)}`)
      return out
    }
    // more engagement, so that live docs have moved in every score order
    await commit(w.chain, w.cards.slice(0, 5).map(c => w.sender.tx(w.accounts[5], 'card.repost', { card: c.id })))
    const live = await dump()
    const { cards } = await w.index.rebuild(w.chain.blocks, w.chain.head().height)
    expect(cards).to.be.greaterThan(40)
    const rebuilt = await dump()
    expect(rebuilt.length).to.equal(live.length)
    expect(rebuilt).to.deep.equal(live)
    await refreshScores(w)
  })
})
