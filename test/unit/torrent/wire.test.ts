/**
 * The slice-exchange wire format: round trips of every message, strict rejection of malformed,
 * oversized, non-canonical and unknown frames, card-relative checks, and a fuzz property that a
 * decoder fed arbitrary bytes only ever throws SwarmError.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { packRecord } from '../../../src/codec/index.js'
import { SwarmError } from '../../../src/torrent/errors.js'
import { makeLayout, MIN_SLICE_SIZE } from '../../../src/torrent/layout.js'
import { fullBitfield } from '../../../src/torrent/bitfield.js'
import {
  decodeMessage, encodeMessage, sliceHeader, checkAgainstCard, maxFrameBytes, MAX_FRAME_BYTES, MAX_LEAVES_PER_MESSAGE,
  type WireMessage
} from '../../../src/torrent/wire.js'

const card = new Uint8Array(32).fill(7)
const hash = (b: number): Uint8Array => new Uint8Array(32).fill(b)

const samples: WireMessage[] = [
  { type: 'handshake', version: 1, cards: [card, hash(9)], maxInFlight: 16 },
  { type: 'handshake', version: 1, cards: [], maxInFlight: 0 },
  { type: 'bitfield', card, bits: Uint8Array.of(0xff, 0x80) },
  { type: 'have', card, index: 0 },
  { type: 'request', card, index: 12345 },
  { type: 'cancel', card, index: 1_048_575 },
  { type: 'slice', card, index: 3, bytes: new Uint8Array(262_160).fill(1) },
  { type: 'leaves-request', card, from: 0, count: 8192 },
  { type: 'leaves', card, from: 8, hashes: [hash(1), hash(2)] },
  { type: 'reject', card, index: 4, reason: 'busy' }
]

function codeOf (fn: () => unknown): string {
  try { fn() } catch (err) {
    expect(err).to.be.instanceOf(SwarmError)
    return (err as SwarmError).code
  }
  throw new Error('expected a SwarmError')
}

describe('torrent/wire', () => {
  it('round-trips every message type', () => {
    for (const msg of samples) expect(decodeMessage(encodeMessage(msg))).to.deep.equal(msg)
  })

  it('rejects unknown types, wrong field counts and wrong field types', () => {
    expect(codeOf(() => decodeMessage(packRecord([99, card, 1])))).to.equal('UNKNOWN_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord(['have', card, 1])))).to.equal('UNKNOWN_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([2, card])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([2, card, 1, 2])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([2, new Uint8Array(31), 1])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([2, card, -1])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([2, card, 1.5])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([2, card, '1'])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord({ 0: 2 })))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([8, card, 1, 'because'])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([6, card, 0, 0])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(new Uint8Array(0)))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(Uint8Array.of(0xc1)))).to.equal('MALFORMED_MESSAGE')
  })

  it('rejects absurd lengths and out-of-range indexes', () => {
    expect(codeOf(() => decodeMessage(new Uint8Array(MAX_FRAME_BYTES + 1)))).to.equal('MESSAGE_TOO_LARGE')
    const slice = encodeMessage({ type: 'slice', card, index: 0, bytes: new Uint8Array(MIN_SLICE_SIZE + 17) })
    expect(codeOf(() => decodeMessage(slice, { maxSliceBytes: MIN_SLICE_SIZE + 16 }))).to.equal('MALFORMED_MESSAGE')
    expect(maxFrameBytes({ maxSliceBytes: 100 })).to.equal(228)
    expect(codeOf(() => decodeMessage(packRecord([3, card, 1_048_576])))).to.equal('INDEX_OUT_OF_RANGE')
    expect(codeOf(() => decodeMessage(packRecord([3, card, 2 ** 53])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([6, card, 0, MAX_LEAVES_PER_MESSAGE + 1])))).to.equal('INDEX_OUT_OF_RANGE')
    expect(codeOf(() => decodeMessage(packRecord([7, card, 0, new Uint8Array(33)])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([0, 1, new Array(257).fill(card), 4])))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => decodeMessage(packRecord([0, 2, [], 4])))).to.equal('UNSUPPORTED_VERSION')
    expect(codeOf(() => decodeMessage(packRecord([0, 1, [], 5000])))).to.equal('INDEX_OUT_OF_RANGE')
  })

  it('accepts only the canonical encoding', () => {
    const canonical = encodeMessage({ type: 'have', card, index: 5 })
    const trailing = new Uint8Array([...canonical, 0])
    expect(codeOf(() => decodeMessage(trailing))).to.equal('MALFORMED_MESSAGE')
    // The same array with the index as a uint16 (0xcd 00 05) instead of a positive fixint.
    const wide = new Uint8Array([...canonical.subarray(0, canonical.length - 1), 0xcd, 0x00, 0x05])
    expect(codeOf(() => decodeMessage(wide))).to.equal('MALFORMED_MESSAGE')
  })

  it('encodes and decodes slices without msgpack exactly as msgpack would', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1_048_575 })),
      fc.oneof(fc.integer({ min: 1, max: 70_000 }), fc.constantFrom(255, 256, 65_535, 65_536, 262_160)),
      (id, index, length) => {
        const bytes = new Uint8Array(length).fill(index & 0xff)
        const reference = packRecord([5, id, index, bytes])
        expect(Buffer.compare(sliceHeader(id, index, length), reference.subarray(0, reference.length - length))).to.equal(0)
        expect(Buffer.compare(encodeMessage({ type: 'slice', card: id, index, bytes }), reference)).to.equal(0)
        const back = decodeMessage(reference)
        expect(back).to.deep.equal({ type: 'slice', card: id, index, bytes })
      }), { numRuns: 200 })
    // Non-canonical slice frames still fail as before: a wider index, a wider byte-string header.
    const body = new Uint8Array(300).fill(1)
    const canonical = packRecord([5, card, 7, body])
    const wideIndex = Uint8Array.from([...canonical.subarray(0, 36), 0xcc, 7, ...canonical.subarray(37)])
    expect(codeOf(() => decodeMessage(wideIndex))).to.equal('MALFORMED_MESSAGE')
    const wideBin = Uint8Array.from([...canonical.subarray(0, 37), 0xc6, 0, 0, 1, 44, ...body])
    expect(codeOf(() => decodeMessage(wideBin))).to.equal('MALFORMED_MESSAGE')
    const truncated = canonical.subarray(0, canonical.length - 1)
    expect(codeOf(() => decodeMessage(truncated))).to.equal('MALFORMED_MESSAGE')
  })

  it('checks messages against the card they are about', () => {
    const layout = makeLayout(MIN_SLICE_SIZE * 2 + 10, MIN_SLICE_SIZE) // 3 slices, last of 10 bytes
    checkAgainstCard({ type: 'bitfield', card, bits: fullBitfield(3) }, layout, true)
    expect(codeOf(() => checkAgainstCard({ type: 'bitfield', card, bits: Uint8Array.of(0xff) }, layout, true))).to.equal('MALFORMED_MESSAGE')
    expect(codeOf(() => checkAgainstCard({ type: 'request', card, index: 3 }, layout, true))).to.equal('INDEX_OUT_OF_RANGE')
    checkAgainstCard({ type: 'slice', card, index: 2, bytes: new Uint8Array(26) }, layout, true)
    expect(codeOf(() => checkAgainstCard({ type: 'slice', card, index: 2, bytes: new Uint8Array(10) }, layout, true))).to.equal('SLICE_MISMATCH')
    checkAgainstCard({ type: 'slice', card, index: 2, bytes: new Uint8Array(10) }, layout, false)
    expect(codeOf(() => checkAgainstCard({ type: 'leaves-request', card, from: 2, count: 2 }, layout, true))).to.equal('INDEX_OUT_OF_RANGE')
    checkAgainstCard({ type: 'leaves', card, from: 1, hashes: [hash(1), hash(2)] }, layout, true)
  })

  it('never throws anything but SwarmError on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), bytes => {
      try { decodeMessage(bytes) } catch (err) { expect(err).to.be.instanceOf(SwarmError) }
    }), { numRuns: 5000 })
  })

  it('never throws anything but SwarmError on mutated valid frames', () => {
    const frames = samples.filter(m => m.type !== 'slice').map(encodeMessage)
    fc.assert(fc.property(fc.nat(frames.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), (which, edits) => {
      const frame = Uint8Array.from(frames[which]!)
      for (const [at, value] of edits) frame[at % frame.length] = value
      try {
        const msg = decodeMessage(frame)
        expect(encodeMessage(msg)).to.deep.equal(frame)
      } catch (err) { expect(err).to.be.instanceOf(SwarmError) }
    }), { numRuns: 5000 })
  })

  it('never throws anything but SwarmError on arbitrary msgpack values', () => {
    const value = fc.oneof(fc.nat(), fc.integer({ min: -5, max: 2 ** 40 }), fc.double(), fc.string(), fc.uint8Array({ maxLength: 40 }), fc.constant(null), fc.boolean())
    fc.assert(fc.property(fc.nat(10), fc.array(fc.oneof(value, fc.array(value, { maxLength: 3 })), { maxLength: 5 }), (code, rest) => {
      try { decodeMessage(packRecord([code, ...rest])) } catch (err) { expect(err).to.be.instanceOf(SwarmError) }
    }), { numRuns: 3000 })
  })
})
