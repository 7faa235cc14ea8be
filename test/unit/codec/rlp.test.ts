import { expect } from 'chai'
import fc from 'fast-check'
import { RLP_MAX_DEPTH, bytesEqual, bytesToUint, fromHex, rlpDecode, rlpEncode, rlpListElements, toHex, uintToBytes } from '../../../src/codec/index.js'
import type { RlpItem } from '../../../src/codec/index.js'
import { CodecError } from '../../../src/codec/errors.js'
import { decode as oracleDecode, encode as oracleEncode } from '@ethereumjs/rlp'

function codeOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(CodecError)
    return (err as CodecError).code
  }
  throw new Error('expected a CodecError')
}

const item: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem }>(tie => ({
  item: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 80 }),
    fc.array(tie('item'), { maxLength: 5 })
  )
})).item

/** Tries a decode and reports whether it failed only with a CodecError. */
function decodeOrCodecError (bytes: Uint8Array): RlpItem | null {
  try {
    return rlpDecode(bytes)
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
    return null
  }
}

describe('codec/rlp', () => {
  it('matches known encodings', () => {
    expect(toHex(rlpEncode(new Uint8Array(0)))).to.equal('0x80')
    expect(toHex(rlpEncode(Uint8Array.of(0x7f)))).to.equal('0x7f')
    expect(toHex(rlpEncode(Uint8Array.of(0x80)))).to.equal('0x8180')
    expect(toHex(rlpEncode([]))).to.equal('0xc0')
    expect(toHex(rlpEncode([new TextEncoder().encode('cat'), new TextEncoder().encode('dog')]))).to.equal('0xc88363617483646f67')
    expect(toHex(rlpEncode(new Uint8Array(56)))).to.equal('0xb838' + '00'.repeat(56))
  })

  it('round-trips any item', () => {
    fc.assert(fc.property(item, it => {
      const bytes = rlpEncode(it)
      expect(rlpDecode(bytes)).to.deep.equal(it)
    }))
  })

  it('rejects trailing bytes, empty input and truncation', () => {
    expect(codeOf(() => rlpDecode(fromHex('0x8001')))).to.equal('TRAILING_BYTES')
    expect(codeOf(() => rlpDecode(new Uint8Array(0)))).to.equal('MALFORMED')
    expect(codeOf(() => rlpDecode(fromHex('0x83616263'.slice(0, 8))))).to.equal('MALFORMED')
    expect(codeOf(() => rlpDecode(fromHex('0xc3800102'.slice(0, 8))))).to.equal('MALFORMED')
    expect(codeOf(() => rlpDecode(fromHex('0xb9ffff00')))).to.equal('MALFORMED')
    expect(codeOf(() => rlpDecode(fromHex('0xbf')))).to.equal('MALFORMED')
  })

  it('rejects non-canonical forms', () => {
    // a single byte below 0x80 wrapped as a string
    expect(codeOf(() => rlpDecode(fromHex('0x8105')))).to.equal('NON_CANONICAL')
    // a short string spelled with a long length prefix
    expect(codeOf(() => rlpDecode(fromHex('0xb801' + 'aa')))).to.equal('NON_CANONICAL')
    // a length with a leading zero byte
    expect(codeOf(() => rlpDecode(fromHex('0xb90038' + '00'.repeat(56))))).to.equal('NON_CANONICAL')
    // a short list spelled long
    expect(codeOf(() => rlpDecode(fromHex('0xf80180')))).to.equal('NON_CANONICAL')
  })

  it('enforces maxBytes before decoding', () => {
    const bytes = rlpEncode(new Uint8Array(100))
    expect(codeOf(() => rlpDecode(bytes, 50))).to.equal('TOO_LARGE')
    expect(rlpDecode(bytes, bytes.length)).to.be.instanceOf(Uint8Array)
  })

  it('refuses deep nesting with a CodecError rather than a stack overflow', () => {
    // Lengths are computed inside out so that every level is a well-formed list.
    const depth = 100_000 // far past both RLP_MAX_DEPTH and the JS stack
    const prefixes: Uint8Array[] = []
    let inner = 0
    for (let i = 0; i < depth; i++) {
      const len = uintToBytes(inner)
      const prefix = inner < 56 ? Uint8Array.of(0xc0 + inner) : Uint8Array.of(0xf7 + len.length, ...len)
      prefixes.push(prefix)
      inner += prefix.length
    }
    const bytes = new Uint8Array(inner)
    let at = 0
    for (let i = prefixes.length - 1; i >= 0; i--) {
      bytes.set(prefixes[i], at)
      at += prefixes[i].length
    }
    const started = Date.now()
    expect(codeOf(() => rlpDecode(bytes))).to.equal('MALFORMED')
    expect(Date.now() - started).to.be.lessThan(500)
  })

  it('accepts nesting up to RLP_MAX_DEPTH', () => {
    let nested: RlpItem = []
    for (let i = 1; i < RLP_MAX_DEPTH; i++) nested = [nested]
    expect(rlpDecode(rlpEncode(nested))).to.deep.equal(nested)
    expect(codeOf(() => rlpDecode(rlpEncode([nested])))).to.equal('MALFORMED')
  })

  it('never throws anything but CodecError on random bytes, and what it accepts re-encodes exactly', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), bytes => {
      const decoded = decodeOrCodecError(bytes)
      if (decoded !== null) expect(bytesEqual(rlpEncode(decoded), bytes)).to.equal(true)
    }), { numRuns: 2000 })
  })

  it('survives random mutations of valid encodings the same way', () => {
    fc.assert(fc.property(item, fc.nat(), fc.integer({ min: 0, max: 255 }), (it, pos, byte) => {
      const bytes = rlpEncode(it)
      const mutated = bytes.slice()
      mutated[pos % mutated.length] = byte
      for (const candidate of [mutated, bytes.subarray(0, pos % bytes.length), new Uint8Array([...bytes, byte])]) {
        const decoded = decodeOrCodecError(candidate)
        if (decoded !== null) expect(bytesEqual(rlpEncode(decoded), candidate)).to.equal(true)
      }
    }), { numRuns: 1000 })
  })

  describe('rlpListElements', () => {
    it('returns the encoding of each element, as views into the input', () => {
      fc.assert(fc.property(fc.array(item, { maxLength: 8 }), list => {
        const bytes = rlpEncode(list)
        const elements = rlpListElements(bytes)
        expect(elements.map(toHex)).to.deep.equal(list.map(e => toHex(rlpEncode(e))))
        for (const e of elements) expect(e.buffer).to.equal(bytes.buffer)
      }))
    })

    it('refuses a byte string, empty input, trailing bytes and an element past the end', () => {
      expect(codeOf(() => rlpListElements(fromHex('0x83616263')))).to.equal('MALFORMED')
      expect(codeOf(() => rlpListElements(new Uint8Array(0)))).to.equal('MALFORMED')
      expect(codeOf(() => rlpListElements(fromHex('0xc0' + '00')))).to.equal('TRAILING_BYTES')
      // a list of 3 payload bytes whose element claims 3 after its 1-byte header
      expect(codeOf(() => rlpListElements(fromHex('0xc3836162')))).to.equal('MALFORMED')
    })
  })

  describe('against @ethereumjs/rlp as an oracle', () => {
    /** What a strict decoder must answer: the library's item when it decodes and re-encodes to the input, else null. */
    function oracle (bytes: Uint8Array): RlpItem | null {
      if (bytes.length === 0) return null
      try {
        const { data, remainder } = oracleDecode(bytes, true)
        if (remainder.length > 0) return null
        const depth = (it: unknown): number => Array.isArray(it) ? 1 + Math.max(0, ...it.map(depth)) : 0
        return bytesEqual(oracleEncode(data), bytes) && depth(data) <= RLP_MAX_DEPTH ? data as RlpItem : null
      } catch {
        return null
      }
    }

    it('encodes every item to the same bytes, long forms included', () => {
      const big = fc.letrec<{ item: RlpItem }>(tie => ({
        item: fc.oneof({ depthSize: 'small' }, fc.uint8Array({ maxLength: 300 }), fc.array(tie('item'), { maxLength: 8 }))
      })).item
      fc.assert(fc.property(big, it => {
        expect(toHex(rlpEncode(it))).to.equal(toHex(oracleEncode(it)))
      }), { numRuns: 1000 })
      for (const n of [55, 56, 255, 256, 65_535, 65_536, 70_000]) {
        expect(toHex(rlpEncode(new Uint8Array(n).fill(7)))).to.equal(toHex(oracleEncode(new Uint8Array(n).fill(7))))
        expect(toHex(rlpEncode([new Uint8Array(n)]))).to.equal(toHex(oracleEncode([new Uint8Array(n)])))
      }
    })

    it('accepts exactly the inputs the library decodes and re-encodes unchanged, with the same result', () => {
      const check = (bytes: Uint8Array): void => {
        const want = oracle(bytes)
        const got = decodeOrCodecError(bytes)
        if (want === null) expect(got, toHex(bytes)).to.equal(null)
        else expect(got, toHex(bytes)).to.deep.equal(want)
      }
      fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), check), { numRuns: 3000 })
      fc.assert(fc.property(item, fc.nat(), fc.integer({ min: 0, max: 255 }), (it, pos, byte) => {
        const bytes = rlpEncode(it)
        const mutated = bytes.slice()
        mutated[pos % mutated.length] = byte
        for (const candidate of [bytes, mutated, bytes.subarray(0, pos % bytes.length), new Uint8Array([...bytes, byte])]) check(candidate)
      }), { numRuns: 2000 })
    })

    it('returns byte strings that later changes to the input do not reach', () => {
      const bytes = rlpEncode([Uint8Array.of(1, 2, 3), Uint8Array.of(9)])
      const decoded = rlpDecode(bytes) as Uint8Array[]
      bytes.fill(0)
      expect(decoded).to.deep.equal([Uint8Array.of(1, 2, 3), Uint8Array.of(9)])
    })
  })

  describe('unsigned integers', () => {
    it('uses minimal big-endian bytes', () => {
      expect(uintToBytes(0).length).to.equal(0)
      expect(toHex(uintToBytes(0x0400))).to.equal('0x0400')
      expect(toHex(uintToBytes(255n))).to.equal('0xff')
      fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), v => {
        const b = uintToBytes(v)
        if (b.length > 0) expect(b[0]).to.not.equal(0)
        expect(bytesToUint(b)).to.equal(v)
      }))
    })

    it('writes the same bytes for small values, either side of 2^53, as numbers and as bigints', () => {
      const reference = (v: bigint): string => v === 0n ? '0x' : '0x' + v.toString(16).padStart(Math.ceil(v.toString(16).length / 2) * 2, '0')
      const edges = [0n, 1n, 127n, 128n, 255n, 256n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, 2n ** 64n]
      fc.assert(fc.property(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 70n }), fc.constantFrom(...edges)), v => {
        expect(toHex(uintToBytes(v))).to.equal(reference(v))
        if (v <= BigInt(Number.MAX_SAFE_INTEGER)) expect(toHex(uintToBytes(Number(v)))).to.equal(reference(v))
      }), { numRuns: 500 })
    })

    it('rejects negatives, non-integers, leading zeros and oversize', () => {
      expect(codeOf(() => uintToBytes(-1n))).to.equal('OUT_OF_RANGE')
      expect(codeOf(() => uintToBytes(1.5))).to.equal('OUT_OF_RANGE')
      expect(codeOf(() => bytesToUint(Uint8Array.of(0, 1)))).to.equal('NON_CANONICAL')
      expect(codeOf(() => bytesToUint(Uint8Array.of(0)))).to.equal('NON_CANONICAL')
      expect(codeOf(() => bytesToUint(new Uint8Array(33).fill(1)))).to.equal('OUT_OF_RANGE')
      expect(codeOf(() => bytesToUint(Uint8Array.of(1, 2, 3), 2))).to.equal('OUT_OF_RANGE')
    })
  })
})
