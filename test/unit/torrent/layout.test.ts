/** Slice layout math, range mapping and bitfields, with properties checked against plain arithmetic. */
import { expect } from 'chai'
import fc from 'fast-check'
import {
  makeLayout, assertLayout, sliceLength, sliceOffset, storedSliceLength, byteRangeToSlices, suffixRange,
  DEFAULT_SLICE_SIZE, MAX_SLICE_COUNT, MIN_SLICE_SIZE, MAX_SLICE_SIZE
} from '../../../src/torrent/layout.js'
import { fullBitfield, emptyBitfield, getBit, setBit, clearBit, countBits, assertBitfield } from '../../../src/torrent/bitfield.js'
import { SwarmError } from '../../../src/torrent/errors.js'

const code = (c: string) => (err: unknown) => err instanceof SwarmError && err.code === c

describe('torrent/layout', () => {
  it('cuts content into full slices and a shorter last one', () => {
    const l = makeLayout(3 * 1024 * 1024 + 5)
    expect(l).to.deep.equal({ size: 3 * 1024 * 1024 + 5, sliceSize: DEFAULT_SLICE_SIZE, sliceCount: 13 })
    expect(sliceLength(l, 0)).to.equal(DEFAULT_SLICE_SIZE)
    expect(sliceLength(l, 12)).to.equal(5)
    expect(sliceOffset(l, 12)).to.equal(12 * DEFAULT_SLICE_SIZE)
    expect(storedSliceLength(l, 12, true)).to.equal(21)
    expect(storedSliceLength(l, 12, false)).to.equal(5)
    expect(makeLayout(DEFAULT_SLICE_SIZE).sliceCount).to.equal(1)
  })

  it('rejects absurd sizes, slice sizes and counts with BAD_LAYOUT', () => {
    for (const size of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 60]) {
      expect(() => makeLayout(size)).to.throw(SwarmError).that.satisfies(code('BAD_LAYOUT'))
    }
    for (const s of [0, 1000, MIN_SLICE_SIZE / 2, MAX_SLICE_SIZE * 2, 300_000]) {
      expect(() => makeLayout(10, s)).to.throw(SwarmError).that.satisfies(code('BAD_LAYOUT'))
    }
    expect(() => makeLayout(MAX_SLICE_COUNT * MIN_SLICE_SIZE + 1, MIN_SLICE_SIZE)).to.throw(SwarmError)
    expect(makeLayout(MAX_SLICE_COUNT * MIN_SLICE_SIZE, MIN_SLICE_SIZE).sliceCount).to.equal(MAX_SLICE_COUNT)
    expect(() => assertLayout({ size: 100, sliceSize: MIN_SLICE_SIZE, sliceCount: 2 })).to.throw(SwarmError)
    expect(() => sliceLength(makeLayout(10), 1)).to.throw(SwarmError).that.satisfies(code('INDEX_OUT_OF_RANGE'))
  })

  it('maps byte ranges onto the slices that hold them', () => {
    const l = makeLayout(100_000, MIN_SLICE_SIZE)
    expect(byteRangeToSlices(l, 0)).to.deep.equal({ first: 0, last: 6, skip: 0, length: 100_000 })
    expect(byteRangeToSlices(l, 16_384, 16_384)).to.deep.equal({ first: 1, last: 1, skip: 0, length: 1 })
    expect(byteRangeToSlices(l, 20_000, 999_999)).to.deep.equal({ first: 1, last: 6, skip: 20_000 - 16_384, length: 80_000 })
    expect(suffixRange(l, 500)).to.deep.equal({ first: 6, last: 6, skip: 99_500 - 6 * 16_384, length: 500 })
    expect(suffixRange(l, 10 ** 9).length).to.equal(100_000)
    for (const [s, e] of [[100_000, 100_001], [5, 4], [-1, 3], [0.5, 3]]) {
      expect(() => byteRangeToSlices(l, s!, e)).to.throw(SwarmError).that.satisfies(code('RANGE_NOT_SATISFIABLE'))
    }
    expect(() => suffixRange(l, 0)).to.throw(SwarmError)
  })

  it('range mapping agrees with byte arithmetic', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.nat(), fc.nat(), (size, a, b) => {
      const l = makeLayout(size, MIN_SLICE_SIZE)
      const start = a % size
      const end = start + (b % (size - start))
      const span = byteRangeToSlices(l, start, end)
      expect(sliceOffset(l, span.first) + span.skip).to.equal(start)
      expect(sliceOffset(l, span.last) + sliceLength(l, span.last)).to.be.greaterThan(end)
      expect(sliceOffset(l, span.last)).to.be.at.most(end)
      expect(span.length).to.equal(end - start + 1)
    }))
  })
})

describe('torrent/bitfield', () => {
  it('sets, clears and counts bits MSB first, with spare bits zero', () => {
    const b = emptyBitfield(10)
    setBit(b, 0); setBit(b, 9)
    expect([...b]).to.deep.equal([0x80, 0x40])
    expect(getBit(b, 9)).to.equal(true)
    clearBit(b, 0)
    expect(countBits(b)).to.equal(1)
    expect([...fullBitfield(10)]).to.deep.equal([0xff, 0xc0])
    expect(countBits(fullBitfield(1_000))).to.equal(1_000)
    assertBitfield(fullBitfield(10), 10)
    expect(() => assertBitfield(new Uint8Array([0xff, 0xe0]), 10)).to.throw(SwarmError)
    expect(() => assertBitfield(new Uint8Array(3), 10)).to.throw(SwarmError)
  })
})
