import { expect } from 'chai'
import { compareBytes, toHex } from '../../../src/codec/index.js'
import {
  runFeedQuery, FeedIndex, QUERY_LIMITS, FEED, prefixEnd, docKey, uintScore, seqOf,
  type KVStore, type RangeOptions, type BatchOp, type FeedFilter
} from '../../../src/state/index.js'
import { buildWorld, type World, type ModelCard } from './fixture.js'

/** The world's store, counting which index documents and key ranges a query reads. */
class CountingKV implements KVStore {
  docReads = 0
  rangeReads: Array<{ range: RangeOptions, keys: number }> = []
  constructor (private readonly kv: KVStore) {}
  reset (): void { this.docReads = 0; this.rangeReads = [] }
  private countDocs (keys: Uint8Array[]): void {
    const d = docKey(new Uint8Array(32)).subarray(0, -32)
    this.docReads += keys.filter(k => k.length === d.length + 32 && compareBytes(k.subarray(0, d.length), d) === 0).length
  }

  async get (key: Uint8Array): Promise<Uint8Array | undefined> { this.countDocs([key]); return await this.kv.get(key) }
  async getMany (keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> { this.countDocs(keys); return await this.kv.getMany(keys) }
  async batch (ops: BatchOp[]): Promise<void> { await this.kv.batch(ops) }
  iterate (range: RangeOptions): AsyncIterable<[Uint8Array, Uint8Array]> { return this.kv.iterate(range) }
  async keys (range: RangeOptions): Promise<Uint8Array[]> {
    const keys = await this.kv.keys(range)
    this.rangeReads.push({ range, keys: keys.length })
    return keys
  }

  async close (): Promise<void> {}
}

const startsWith = (key: Uint8Array | undefined, prefix: string): boolean =>
  key !== undefined && Buffer.from(key).toString('latin1').startsWith(Buffer.from(FEED).toString('latin1') + prefix)

describe('feed: query plans read index ranges, not all cards', function () {
  this.timeout(60_000)
  let w: World
  let kv: CountingKV
  let index: FeedIndex
  const saved = { ...QUERY_LIMITS }
  before(async () => {
    w = await buildWorld()
    kv = new CountingKV(w.chain.kv)
    // no document cache: every document a query needs is a counted read
    index = new FeedIndex(kv, w.chain.state, { cacheDocs: 0 })
  })
  after(async () => { await w.close() })
  afterEach(() => { Object.assign(QUERY_LIMITS, saved); kv.reset() })

  const ids = (cards: ModelCard[]): string[] => cards.map(c => toHex(c.id))
  const byTop = (a: ModelCard, b: ModelCard): number =>
    compareBytes(Buffer.concat([uintScore(b.top), seqOf(b.height, b.index), b.id]), Buffer.concat([uintScore(a.top), seqOf(a.height, a.index), a.id]))

  it('answers a score sort under a filter from that filter\'s own score order', async () => {
    const f: FeedFilter = { tags: ['music', 'art'] }
    const page = await runFeedQuery(index, w.chain.state, { filter: f, sort: 'top', limit: 3 })
    expect(page.plan).to.match(/^score:top:tags\(\d+\)$/)
    const expected = w.cards.filter(c => c.tags.includes('music') || c.tags.includes('art')).sort(byTop).slice(0, 3)
    expect(page.docs.map(d => toHex(d.id))).to.deep.equal(ids(expected))
    // only the two tags' top orders were read, and only as far as the page needed
    expect(kv.rangeReads.length).to.be.greaterThan(0)
    for (const r of kv.rangeReads) expect(startsWith(r.range.gte, 'o/top/t/')).to.equal(true)
    expect(page.scanned).to.be.at.most(4)
    expect(kv.docReads).to.be.at.most(3 + 4) // one first chunk: about a page

  })

  it('hands a score sort from a large word to the next most selective filter', async () => {
    QUERY_LIMITS.inMemorySort = 3
    const f: FeedFilter = { text: 'omega', free: false }
    const page = await runFeedQuery(index, w.chain.state, { filter: f, sort: 'top', limit: 100 })
    expect(page.plan).to.match(/^score:top:paid\(\d+\)$/)
    const expected = w.cards.filter(c => c.words.includes('omega') && c.price > 0n).sort(byTop)
    expect(expected.length).to.be.greaterThan(0)
    expect(page.docs.map(d => toHex(d.id))).to.deep.equal(ids(expected))
    for (const r of kv.rangeReads) expect(startsWith(r.range.gte, 'o/top/$/1')).to.equal(true)
  })

  it('checks the other text words on posting keys and loads only their survivors\' documents', async () => {
    const f: FeedFilter = { text: 'beta gamma' }
    const page = await runFeedQuery(index, w.chain.state, { filter: f, sort: 'new', limit: 100 })
    const expected = w.cards.filter(c => c.words.includes('beta') && c.words.includes('gamma'))
    expect(expected.length).to.be.greaterThan(0)
    expect(page.docs.length).to.equal(expected.length)
    expect(page.scanned).to.be.greaterThan(expected.length)
    expect(kv.docReads).to.equal(expected.length)
  })

  it('reads the lists of a union together and never the whole index', async () => {
    const f: FeedFilter = { creator: [w.accounts[0].address, w.accounts[1].address, w.accounts[2].address] }
    const page = await runFeedQuery(index, w.chain.state, { filter: f, sort: 'trending', limit: 5 })
    expect(page.plan).to.match(/^score:trending:creator\(\d+\)$/)
    expect(page.docs.length).to.equal(5)
    for (const r of kv.rangeReads) {
      expect(startsWith(r.range.gte, 'o/trending/c/')).to.equal(true)
      expect(compareBytes(r.range.lt as Uint8Array, prefixEnd(FEED))).to.be.lessThan(0)
    }
  })
})
