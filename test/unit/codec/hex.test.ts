import { expect } from 'chai'
import fc from 'fast-check'
import { bytesEqual, compareBytes, concatBytes, fromHex, fromUtf8, toHex, utf8 } from '../../../src/codec/index.js'
import { CodecError } from '../../../src/codec/errors.js'
import { bareHex, nodeBuffer } from '../../../src/codec/hex.js'

function codeOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).to.be.instanceOf(CodecError)
    return (err as CodecError).code
  }
  throw new Error('expected a CodecError')
}

describe('codec/hex', () => {
  it('round-trips bytes through lowercase 0x-hex', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), b => {
      const text = toHex(b)
      expect(text).to.match(/^0x([0-9a-f]{2})*$/)
      expect(bytesEqual(fromHex(text), b)).to.equal(true)
      expect(bytesEqual(fromHex(text.toUpperCase().replace('0X', '0x')), b)).to.equal(true)
    }))
  })

  it('refuses a bad digit anywhere, in short and long strings alike, and says where', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.constantFrom('g', 'z', ' ', 'x', '\u00e9', '-'), (b, at, bad) => {
      const text = toHex(b)
      const pos = 2 + (at % (text.length - 2))
      const broken = text.slice(0, pos) + bad + text.slice(pos + 1)
      let err: unknown
      try {
        fromHex(broken)
      } catch (e) {
        err = e
      }
      expect(err).to.be.instanceOf(CodecError)
      expect((err as CodecError).code).to.equal('MALFORMED')
      expect((err as CodecError).message).to.contain(`position ${pos - (pos % 2)}`)
    }))
  })

  it('hands node\'s encoders exactly the viewed bytes, short or long, whole or a subarray', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.nat(), fc.nat(), (whole, a, b) => {
      const start = whole.length === 0 ? 0 : a % whole.length
      const view = whole.subarray(start, start + (b % (whole.length - start + 1)))
      const buf = nodeBuffer(view)
      expect(Buffer.compare(buf, Buffer.from(Array.from(view)))).to.equal(0)
      expect(bareHex(view)).to.equal(toHex(view).slice(2))
      expect(buf.toString('latin1')).to.equal(String.fromCharCode(...view))
    }))
  })

  it('accepts uppercase digits but only with the 0x prefix and even length', () => {
    expect(Array.from(fromHex('0xABcd'))).to.deep.equal([0xab, 0xcd])
    expect(fromHex('0x').length).to.equal(0)
    expect(codeOf(() => fromHex('abcd'))).to.equal('MALFORMED')
    expect(codeOf(() => fromHex('0xabc'))).to.equal('MALFORMED')
    expect(codeOf(() => fromHex('0xzz'))).to.equal('MALFORMED')
    expect(codeOf(() => fromHex('0X00'))).to.equal('MALFORMED')
    expect(codeOf(() => fromHex(42 as unknown as string))).to.equal('MALFORMED')
  })

  it('checks the expected length', () => {
    expect(fromHex('0x0102', 2).length).to.equal(2)
    expect(codeOf(() => fromHex('0x0102', 3))).to.equal('WRONG_LENGTH')
  })

  it('compares and concatenates', () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).to.equal(true)
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).to.equal(false)
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 0))).to.equal(false)
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).to.be.lessThan(0)
    expect(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 9))).to.be.greaterThan(0)
    expect(Array.from(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)))).to.deep.equal([1, 2, 3])
  })

  it('encodes and decodes UTF-8 strictly', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), s => {
      expect(fromUtf8(utf8(s))).to.equal(s)
    }))
    expect(codeOf(() => fromUtf8(Uint8Array.of(0xff)))).to.equal('INVALID_UTF8')
    expect(codeOf(() => fromUtf8(Uint8Array.of(0xc0, 0x80)))).to.equal('INVALID_UTF8')
    expect(codeOf(() => utf8('a\uD800b'))).to.equal('INVALID_UTF8')
  })

  it('keeps a leading byte-order mark so decoding stays one-to-one', () => {
    const withBom = Uint8Array.of(0xef, 0xbb, 0xbf, 0x41)
    const text = fromUtf8(withBom)
    expect(text).to.equal('\uFEFFA')
    expect(bytesEqual(utf8(text), withBom)).to.equal(true)
  })
})
