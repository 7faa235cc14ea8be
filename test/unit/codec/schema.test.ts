import { expect } from 'chai'
import fc from 'fast-check'
import {
  bool, bytes, enumOf, list, optional, rlpDecode, rlpEncode, string, struct, toHex, u53, uint
} from '../../../src/codec/index.js'
import type { Infer, RlpItem } from '../../../src/codec/index.js'
import { CodecError } from '../../../src/codec/errors.js'

function errorOf (fn: () => unknown): CodecError {
  try {
    fn()
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(CodecError)
    return err as CodecError
  }
  throw new Error('expected a CodecError')
}

const Transfer = struct({ to: bytes({ len: 20 }), amount: uint() })

const Post = struct({
  kind: enumOf(['text', 'image'] as const),
  title: string({ max: 10 }),
  height: u53(),
  tags: list(string({ max: 8 }), { max: 3 }),
  parent: optional(bytes({ len: 4 })),
  pinned: bool(),
  extra: struct({ note: optional(string()), price: uint({ max: 1000n }) })
})
type PostValue = Infer<typeof Post>

const postArb: fc.Arbitrary<PostValue> = fc.record({
  kind: fc.constantFrom('text' as const, 'image' as const),
  title: fc.string({ maxLength: 10, unit: 'grapheme' }).filter(s => [...s].length <= 10),
  height: fc.maxSafeNat(),
  tags: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  parent: fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 })),
  pinned: fc.boolean(),
  extra: fc.record({ note: fc.option(fc.string()), price: fc.bigInt({ min: 0n, max: 1000n }) })
})

describe('codec/schema', () => {
  it('encodes fields in declaration order as an RLP list', () => {
    const to = new Uint8Array(20).fill(0xaa)
    const encoded = Transfer.toBytes({ to, amount: 1000n })
    expect(toHex(encoded)).to.equal('0xd894' + 'aa'.repeat(20) + '8203e8')
    const back = Transfer.fromBytes(encoded)
    expect(back.amount).to.equal(1000n)
    expect(back.to).to.deep.equal(to)
  })

  it('round-trips structs through bytes and JSON', () => {
    fc.assert(fc.property(postArb, post => {
      const back = Post.fromBytes(Post.toBytes(post))
      expect(back).to.deep.equal(post)
      const json = JSON.parse(JSON.stringify(Post.toJSON(post)))
      expect(Post.fromJSON(json)).to.deep.equal(post)
    }))
  })

  it('fills absent optionals with null and encodes them as empty lists', () => {
    const Opt = struct({ a: optional(uint()), b: uint() })
    expect(rlpEncode(Opt.encode({ b: 1n }))).to.deep.equal(rlpEncode([[], Uint8Array.of(1)]))
    expect(Opt.fromBytes(Opt.toBytes({ b: 1n }))).to.deep.equal({ a: null, b: 1n })
    expect(Opt.toJSON({ a: 5n, b: 0n })).to.deep.equal({ a: '5', b: '0' })
    expect(Opt.toJSON({ b: 0n })).to.deep.equal({ a: null, b: '0' })
  })

  it('shows bytes as hex, bigint as decimal and accepts the same back', () => {
    const json = Transfer.toJSON({ to: new Uint8Array(20), amount: 12345678901234567890n })
    expect(json).to.deep.equal({ to: '0x' + '00'.repeat(20), amount: '12345678901234567890' })
    expect(Transfer.fromJSON(json).amount).to.equal(12345678901234567890n)
    expect(errorOf(() => Transfer.fromJSON({ ...json as object, amount: '012' })).message).to.contain('amount')
    expect(errorOf(() => Transfer.fromJSON({ ...json as object, amount: '-1' })).code).to.equal('MALFORMED')
    expect(errorOf(() => Transfer.fromJSON({ ...json as object, to: '0x00' })).code).to.equal('WRONG_LENGTH')
    expect(errorOf(() => Transfer.fromJSON({ ...json as object, extra: 1 })).message).to.equal('extra: unknown field')
    expect(errorOf(() => Transfer.fromJSON({ to: json && (json as { to: string }).to })).message).to.equal('amount: missing field')
  })

  it('names the field path in decode errors', () => {
    const good = Transfer.encode({ to: new Uint8Array(20), amount: 5n }) as RlpItem[]
    const e = errorOf(() => Transfer.decode([good[0], Uint8Array.of(0, 5)]))
    expect(e.code).to.equal('NON_CANONICAL')
    expect(e.message).to.equal('amount: non-canonical integer (leading zero byte)')
    const nested = errorOf(() => Post.decode([
      new TextEncoder().encode('text'), new Uint8Array(0), new Uint8Array(0), [Uint8Array.of(0xff)], [], new Uint8Array(0),
      [[], new Uint8Array(0)]
    ]))
    expect(nested.code).to.equal('INVALID_UTF8')
    expect(nested.message).to.match(/^tags\[0\]: /)
  })

  it('rejects each kind of bad input with its code', () => {
    expect(errorOf(() => Transfer.decode([new Uint8Array(19), new Uint8Array(0)])).code).to.equal('WRONG_LENGTH')
    expect(errorOf(() => Transfer.decode([new Uint8Array(20)])).code).to.equal('WRONG_LENGTH')
    expect(errorOf(() => Transfer.decode(new Uint8Array(0))).code).to.equal('MALFORMED')
    expect(errorOf(() => Transfer.decode([[], new Uint8Array(0)])).code).to.equal('MALFORMED')
    expect(errorOf(() => Transfer.decode([new Uint8Array(20), new Uint8Array(33).fill(1)])).code).to.equal('OUT_OF_RANGE')
    expect(errorOf(() => uint({ max: 10n }).decode(Uint8Array.of(11))).code).to.equal('OUT_OF_RANGE')
    expect(errorOf(() => u53().decode(new Uint8Array(7).fill(0xff))).code).to.equal('OUT_OF_RANGE')
    expect(errorOf(() => u53().decode(new Uint8Array(8).fill(0x01))).code).to.equal('OUT_OF_RANGE')
    expect(errorOf(() => bytes({ max: 2 }).decode(new Uint8Array(3))).code).to.equal('TOO_LARGE')
    expect(errorOf(() => string({ max: 2 }).decode(new TextEncoder().encode('abc'))).code).to.equal('TOO_LARGE')
    expect(string({ max: 2 }).decode(new TextEncoder().encode('é😀'))).to.equal('é😀')
    expect(errorOf(() => list(uint(), { max: 1 }).decode([new Uint8Array(0), new Uint8Array(0)])).code).to.equal('TOO_LARGE')
    expect(errorOf(() => bool().decode(Uint8Array.of(0))).code).to.equal('MALFORMED')
    expect(errorOf(() => bool().decode(Uint8Array.of(2))).code).to.equal('MALFORMED')
    expect(errorOf(() => enumOf(['a']).decode(new TextEncoder().encode('b'))).code).to.equal('OUT_OF_RANGE')
    expect(errorOf(() => optional(uint()).decode([new Uint8Array(0), new Uint8Array(0)])).code).to.equal('WRONG_LENGTH')
  })

  it('validates values when encoding, so nothing undecodable is written', () => {
    expect(errorOf(() => Transfer.encode({ to: new Uint8Array(20), amount: -1n })).code).to.equal('OUT_OF_RANGE')
    expect(errorOf(() => Transfer.encode({ to: new Uint8Array(20), amount: 1 as unknown as bigint })).code).to.equal('MALFORMED')
    expect(errorOf(() => Transfer.encode({ to: new Uint8Array(2), amount: 1n })).code).to.equal('WRONG_LENGTH')
    expect(errorOf(() => string().encode('\uDC00')).code).to.equal('INVALID_UTF8')
    expect(errorOf(() => u53().encode(1.5)).code).to.equal('MALFORMED')
    expect(errorOf(() => Transfer.encode({ to: new Uint8Array(20), amount: 1n, x: 1 } as never)).message).to.equal('x: unknown field')
  })

  it('decodes random and mutated input to a value or a CodecError, never anything else', () => {
    fc.assert(fc.property(postArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 60 }), (post, pos, byte, noise) => {
      const good = Post.toBytes(post)
      const mutated = good.slice()
      mutated[pos % mutated.length] = byte
      for (const candidate of [mutated, noise, good.subarray(0, pos % good.length)]) {
        try {
          const value = Post.fromBytes(candidate)
          // accepted bytes must be exactly the canonical encoding of what they decode to
          expect(Post.toBytes(value)).to.deep.equal(candidate)
        } catch (err) {
          if (!(err instanceof CodecError)) throw err
        }
      }
    }), { numRuns: 1000 })
  })

  it('decodes any well-formed RLP item to a value or a CodecError', () => {
    const item: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem }>(tie => ({
      item: fc.oneof({ depthSize: 'small' }, fc.uint8Array({ maxLength: 24 }), fc.array(tie('item'), { maxLength: 8 }))
    })).item
    fc.assert(fc.property(item, it => {
      try {
        Post.decode(rlpDecode(rlpEncode(it)))
      } catch (err) {
        if (!(err instanceof CodecError)) throw err
      }
    }), { numRuns: 1000 })
  })
})
