import { expect } from 'chai'
import fc from 'fast-check'
import { packRecord, unpackRecord } from '../../../src/codec/index.js'
import { CodecError } from '../../../src/codec/errors.js'

function unpackOrCodecError (bytes: Uint8Array): boolean {
  try {
    unpackRecord(bytes)
    return true
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
    expect(err.code).to.equal('MALFORMED')
    return false
  }
}

const record = fc.letrec<{ value: unknown }>(tie => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true }).filter(d => !Object.is(d, -0)),
    fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string().filter(k => k !== '__proto__'), tie('value'), { maxKeys: 4 })
  )
})).value

describe('codec/msgpack', () => {
  it('round-trips records, keeping bigint and Uint8Array types', () => {
    fc.assert(fc.property(record, value => {
      expect(unpackRecord(packRecord(value))).to.deep.equal(value)
    }), { numRuns: 500 })
  })

  it('returns plain Uint8Array, never Buffer', () => {
    const back = unpackRecord(packRecord({ a: Uint8Array.of(1, 2), b: Buffer.from([3]) })) as Record<string, Uint8Array>
    expect(Object.getPrototypeOf(back.a)).to.equal(Uint8Array.prototype)
    expect(Object.getPrototypeOf(back.b)).to.equal(Uint8Array.prototype)
    expect(Array.from(back.b)).to.deep.equal([3])
  })

  it('keeps small bigints as bigint and numbers as numbers', () => {
    const back = unpackRecord(packRecord({ n: 5, b: 5n, big: 2n ** 64n + 1n, neg: -7n })) as Record<string, unknown>
    expect(back).to.deep.equal({ n: 5, b: 5n, big: 2n ** 64n + 1n, neg: -7n })
  })

  it('does not let a later pack change an earlier result', () => {
    const first = packRecord({ a: 'first' })
    const copy = first.slice()
    packRecord({ a: 'second, longer' })
    expect(first).to.deep.equal(copy)
  })

  it('rejects trailing bytes, empty input, the reserved 0xc1 byte and truncation', () => {
    const good = packRecord({ a: 1 })
    expect(unpackOrCodecError(new Uint8Array([...good, 0]))).to.equal(false)
    expect(unpackOrCodecError(new Uint8Array(0))).to.equal(false)
    expect(unpackOrCodecError(Uint8Array.of(0xc1))).to.equal(false)
    expect(unpackOrCodecError(good.subarray(0, good.length - 1))).to.equal(false)
    expect(unpackOrCodecError(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff))).to.equal(false)
  })

  it('never throws anything but CodecError on random or mutated bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), bytes => { unpackOrCodecError(bytes) }), { numRuns: 3000 })
    fc.assert(fc.property(record, fc.nat(), fc.integer({ min: 0, max: 255 }), (value, pos, byte) => {
      const bytes = packRecord(value)
      bytes[pos % bytes.length] = byte
      unpackOrCodecError(bytes)
    }), { numRuns: 1000 })
  })
})
