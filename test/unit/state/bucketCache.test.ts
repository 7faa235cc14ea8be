/**
 * The state commitment's grouped bucket cache against a plain map of buckets: contents, byte and
 * bucket counts, eviction that never drops kept buckets, and views that never change once returned.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { BucketCache } from '../../../src/state/commitment/bucketCache.js'
import { BUCKET_COUNT } from '../../../src/state/commitment/layout.js'

const pairs = (bucket: number, n: number, salt: number): Uint8Array => Uint8Array.from({ length: 64 * n }, (_, i) => (bucket * 31 + i + salt) & 0xff)

describe('state commitment: bucket cache', () => {
  it('returns what was set, counts bytes and buckets, and forgets emptied buckets', () => {
    const cache = new BucketCache()
    cache.setMany([[0, pairs(0, 2, 1)], [1, pairs(1, 1, 2)], [17, pairs(17, 3, 3)], [BUCKET_COUNT - 1, pairs(BUCKET_COUNT - 1, 1, 4)]])
    expect(cache.get(0)).to.deep.equal(pairs(0, 2, 1))
    expect(cache.get(1)).to.deep.equal(pairs(1, 1, 2))
    expect(cache.get(2)).to.equal(undefined)
    expect(cache.get(17)).to.deep.equal(pairs(17, 3, 3))
    expect(cache.get(BUCKET_COUNT - 1)).to.deep.equal(pairs(BUCKET_COUNT - 1, 1, 4))
    expect(cache.size).to.equal(4)
    expect(cache.bytes).to.equal(64 * 7)
    cache.set(1, new Uint8Array(0))
    expect(cache.get(1)).to.equal(undefined)
    expect(cache.size).to.equal(3)
    expect(cache.bytes).to.equal(64 * 6)
  })

  it('evicts the least recently set groups first and keeps the buckets it is told to keep', () => {
    const cache = new BucketCache()
    cache.setMany([[0, pairs(0, 1, 0)], [1, pairs(1, 1, 0)]]) // group 0
    cache.set(8, pairs(8, 1, 0)) // group 1
    cache.set(16, pairs(16, 1, 0)) // group 2
    cache.evict(64 * 2, new Set([1]))
    // group 0 is the oldest: bucket 0 goes and the kept bucket 1 stays; then group 1 (bucket 8) goes
    expect(cache.get(0)).to.equal(undefined)
    expect(cache.get(1)).to.deep.equal(pairs(1, 1, 0))
    expect(cache.get(8)).to.equal(undefined)
    expect(cache.get(16)).to.deep.equal(pairs(16, 1, 0))
    expect(cache.bytes).to.equal(64 * 2)
    cache.evict(64, new Set([1]))
    expect(cache.get(1)).to.deep.equal(pairs(1, 1, 0))
    expect(cache.size).to.equal(1)
    cache.evict(0, new Set())
    expect(cache.size).to.equal(0)
    expect(cache.bytes).to.equal(0)
  })

  it('agrees with a map of buckets under random sets and evictions, and never changes a returned view', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), entries: fc.array(fc.tuple(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant('evict' as const), limit: fc.integer({ min: 0, max: 64 * 40 }), keep: fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 5 }) })
    )
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), ops => {
      const cache = new BucketCache()
      const model = new Map<number, Uint8Array>()
      const views: Array<[Uint8Array, Uint8Array]> = []
      let salt = 0
      for (const o of ops) {
        if (o.kind === 'set') {
          const entries: Array<[number, Uint8Array]> = o.entries.map(([b, n]) => [b, pairs(b, n, salt++)])
          cache.setMany(entries)
          for (const [b, p] of entries) { if (p.length === 0) model.delete(b); else model.set(b, p) }
        } else {
          const keep = new Set(o.keep)
          cache.evict(o.limit, keep)
          for (const b of keep) if (model.has(b)) expect(cache.get(b)).to.deep.equal(model.get(b))
          for (const b of [...model.keys()]) if (cache.get(b) === undefined) model.delete(b)
          if (cache.bytes > o.limit) for (let b = 0; b <= 80; b++) if (cache.get(b) !== undefined) expect(keep.has(b)).to.equal(true)
        }
        let bytes = 0
        for (let b = 0; b <= 80; b++) {
          const got = cache.get(b)
          expect(got).to.deep.equal(model.get(b))
          if (got !== undefined) { bytes += got.length; views.push([got, got.slice()]) }
        }
        expect(cache.bytes).to.equal(bytes)
        expect(cache.size).to.equal(model.size)
      }
      for (const [view, copy] of views) expect(view).to.deep.equal(copy)
    }), { numRuns: 200 })
  })
})
