/**
 * The slice-exchange wire messages (`/folio/slices/1.0.0`, MISSION.md §7). Each message is one
 * length-prefixed frame holding a msgpack array `[type, ...fields]`. Everything a peer sends is
 * untrusted: the frame size is checked before decoding, every field's type and range after, and
 * the bytes must be exactly what `encodeMessage` would produce for the decoded message — so a
 * decoder fed anything at all returns a valid message or throws a SwarmError, never anything else.
 *
 * Checks that need the card (index < sliceCount, bitfield length, slice length) are in
 * `checkAgainstCard`, which the service calls once it knows which card the message is about.
 */
import { CodecError, packRecord, unpackRecord } from '../codec/index.js'
import { assertBitfield, bitfieldBytes } from './bitfield.js'
import { SwarmError } from './errors.js'
import { AEAD_TAG_BYTES, MAX_SLICE_COUNT, MAX_SLICE_SIZE, assertIndex, storedSliceLength, type SliceLayout } from './layout.js'
import { HASH_BYTES, packLeaves, unpackLeaves } from './merkle.js'

export const SLICE_PROTOCOL = '/folio/slices/1.0.0'
export const WIRE_VERSION = 1
export const CARD_ID_BYTES = 32
/** Cards one handshake may name: enough for a feed page, small enough to bound the frame. */
export const MAX_CARDS_PER_HANDSHAKE = 256
/** Leaf hashes per `leaves` message (256 KiB); larger layers are fetched in pages. */
export const MAX_LEAVES_PER_MESSAGE = 8192
/** The most requests a peer may say it accepts at once. */
export const MAX_IN_FLIGHT_LIMIT = 1024
/** msgpack array header, type, card id, index and byte-string header, with room to spare. */
export const FRAME_OVERHEAD = 128
/** The largest frame any message can need: a slice of the largest size, sealed. */
export const MAX_FRAME_BYTES = MAX_SLICE_SIZE + AEAD_TAG_BYTES + FRAME_OVERHEAD

export const REJECT_REASONS = ['unknown-card', 'not-present', 'busy', 'over-budget', 'payment-required', 'bad-request'] as const
export type RejectReason = typeof REJECT_REASONS[number]

export type WireMessage =
  | { type: 'handshake', version: number, cards: Uint8Array[], maxInFlight: number }
  | { type: 'bitfield', card: Uint8Array, bits: Uint8Array }
  | { type: 'have', card: Uint8Array, index: number }
  | { type: 'request', card: Uint8Array, index: number }
  | { type: 'cancel', card: Uint8Array, index: number }
  | { type: 'slice', card: Uint8Array, index: number, bytes: Uint8Array }
  | { type: 'leaves-request', card: Uint8Array, from: number, count: number }
  | { type: 'leaves', card: Uint8Array, from: number, hashes: Uint8Array[] }
  | { type: 'reject', card: Uint8Array, index: number, reason: RejectReason }

export type WireType = WireMessage['type']

/** Type codes on the wire. Never renumber: add new codes and bump the protocol version. */
const CODES: Record<WireType, number> = {
  handshake: 0, bitfield: 1, have: 2, request: 3, cancel: 4, slice: 5, 'leaves-request': 6, leaves: 7, reject: 8
}
const TYPES = Object.fromEntries(Object.entries(CODES).map(([t, c]) => [c, t])) as Record<number, WireType>

export interface DecodeLimits {
  /** The largest slice accepted, as exchanged (sealed). Defaults to the largest allowed. */
  maxSliceBytes?: number
}

export function maxFrameBytes (limits: DecodeLimits = {}): number {
  return (limits.maxSliceBytes ?? MAX_SLICE_SIZE + AEAD_TAG_BYTES) + FRAME_OVERHEAD
}

export function encodeMessage (msg: WireMessage): Uint8Array {
  if (msg.type === 'slice') {
    const head = sliceHeader(msg.card, msg.index, msg.bytes.length)
    const out = new Uint8Array(head.length + msg.bytes.length)
    out.set(head, 0)
    out.set(msg.bytes, head.length)
    return out
  }
  return packRecord(toArray(msg))
}

/**
 * The msgpack bytes that precede a slice's payload in its canonical encoding — what `packRecord`
 * writes for `[5, card, index, bytes]` up to the payload: fixarray(4), the type, the card as bin8,
 * the index as the smallest unsigned integer, the payload's bin8/16/32 header. A slice is the one
 * large message: sending header and payload as two chunks, and checking only the header on
 * receipt, spares a 256 KiB copy on each side (unit-tested byte-for-byte against `packRecord`).
 */
export function sliceHeader (card: Uint8Array, index: number, length: number): Uint8Array {
  if (card.length !== CARD_ID_BYTES) throw malformed(`card id must be ${CARD_ID_BYTES} bytes`)
  if (!Number.isSafeInteger(index) || index < 0 || index > 0xffffffff) throw malformed('slice index must be a uint32')
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffffffff) throw malformed('slice length must be a uint32')
  const out = new Uint8Array(4 + CARD_ID_BYTES + 5 + 5)
  out[0] = 0x94
  out[1] = CODES.slice
  out[2] = 0xc4
  out[3] = CARD_ID_BYTES
  out.set(card, 4)
  let at = 4 + CARD_ID_BYTES
  const view = new DataView(out.buffer)
  if (index < 0x80) {
    out[at++] = index
  } else if (index < 0x100) {
    out[at++] = 0xcc; out[at++] = index
  } else if (index < 0x10000) {
    out[at++] = 0xcd; view.setUint16(at, index); at += 2
  } else {
    out[at++] = 0xce; view.setUint32(at, index); at += 4
  }
  if (length < 0x100) {
    out[at++] = 0xc4; out[at++] = length
  } else if (length < 0x10000) {
    out[at++] = 0xc5; view.setUint16(at, length); at += 2
  } else {
    out[at++] = 0xc6; view.setUint32(at, length); at += 4
  }
  return out.subarray(0, at)
}

/**
 * A slice frame in its canonical form, parsed without msgpack; undefined for anything else (which
 * then takes the general path and its errors). Returns the payload as a view of the frame.
 */
function decodeSliceFast (frame: Uint8Array, maxSlice: number): WireMessage | undefined {
  if (frame.length < 4 + CARD_ID_BYTES + 2 || frame[0] !== 0x94 || frame[1] !== CODES.slice || frame[2] !== 0xc4 || frame[3] !== CARD_ID_BYTES) return undefined
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  let at = 4 + CARD_ID_BYTES
  const tag = frame[at]!
  let index: number
  if (tag < 0x80) { index = tag; at += 1 } else if (tag === 0xcc) { index = frame[at + 1]!; at += 2 } else if (tag === 0xcd && frame.length >= at + 3) { index = view.getUint16(at + 1); at += 3 } else if (tag === 0xce && frame.length >= at + 5) { index = view.getUint32(at + 1); at += 5 } else return undefined
  if (index > MAX_SLICE_COUNT - 1 || frame.length <= at) return undefined
  const btag = frame[at]!
  const length = frame.length - at - (btag === 0xc4 ? 2 : btag === 0xc5 ? 3 : 5)
  if (length < 1 || length > maxSlice) return undefined
  const card = frame.subarray(4, 4 + CARD_ID_BYTES)
  const head = sliceHeader(card, index, length)
  if (head.length + length !== frame.length || Buffer.compare(head, frame.subarray(0, head.length)) !== 0) return undefined
  return { type: 'slice', card: Uint8Array.from(card), index, bytes: frame.subarray(head.length) }
}

function toArray (msg: WireMessage): unknown[] {
  const code = CODES[msg.type]
  switch (msg.type) {
    case 'handshake': return [code, msg.version, msg.cards, msg.maxInFlight]
    case 'bitfield': return [code, msg.card, msg.bits]
    case 'have': case 'request': case 'cancel': return [code, msg.card, msg.index]
    case 'slice': return [code, msg.card, msg.index, msg.bytes]
    case 'leaves-request': return [code, msg.card, msg.from, msg.count]
    case 'leaves': return [code, msg.card, msg.from, packLeaves(msg.hashes)]
    case 'reject': return [code, msg.card, msg.index, msg.reason]
  }
}

function malformed (message: string, meta: Record<string, unknown> = {}): SwarmError {
  return new SwarmError('MALFORMED_MESSAGE', message, meta)
}

function cardId (v: unknown, what = 'card id'): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== CARD_ID_BYTES) throw malformed(`${what} must be ${CARD_ID_BYTES} bytes`)
  return v
}

function uint (v: unknown, what: string, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(`${what} must be a non-negative integer`)
  if (v > max) throw new SwarmError('INDEX_OUT_OF_RANGE', `${what} ${v} exceeds ${max}`, { value: v, max })
  return v
}

function bytes (v: unknown, what: string, min: number, max: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw malformed(`${what} must be a byte string`)
  if (v.length < min || v.length > max) throw malformed(`${what} must be ${min}..${max} bytes, got ${v.length}`)
  return v
}

function fields (arr: unknown[], n: number, type: WireType): void {
  if (arr.length !== n) throw malformed(`${type} has ${arr.length - 1} fields, expected ${n - 1}`)
}

/**
 * Decodes one frame. Throws SwarmError only: MESSAGE_TOO_LARGE, MALFORMED_MESSAGE,
 * UNKNOWN_MESSAGE, INDEX_OUT_OF_RANGE, or UNSUPPORTED_VERSION for a handshake from the future.
 */
export function decodeMessage (frame: Uint8Array, limits: DecodeLimits = {}): WireMessage {
  const maxSlice = Math.min(limits.maxSliceBytes ?? MAX_SLICE_SIZE + AEAD_TAG_BYTES, MAX_SLICE_SIZE + AEAD_TAG_BYTES)
  if (!(frame instanceof Uint8Array)) throw malformed('a frame must be bytes')
  if (frame.length > maxSlice + FRAME_OVERHEAD) {
    throw new SwarmError('MESSAGE_TOO_LARGE', `frame of ${frame.length} bytes exceeds ${maxSlice + FRAME_OVERHEAD}`, { length: frame.length })
  }
  const fast = decodeSliceFast(frame, maxSlice)
  if (fast != null) return fast
  let raw: unknown
  try {
    raw = unpackRecord(frame)
  } catch (err) {
    if (err instanceof CodecError) throw malformed(`not a msgpack message: ${err.message}`)
    throw malformed('not a msgpack message')
  }
  if (!Array.isArray(raw) || raw.length < 1) throw malformed('a message must be a non-empty array')
  const code = raw[0]
  const type = typeof code === 'number' ? TYPES[code] : undefined
  if (type == null) throw new SwarmError('UNKNOWN_MESSAGE', `unknown message type ${String(code)}`, { code: String(code) })
  const msg = fromArray(type, raw, maxSlice)
  // One message, one encoding: anything else (floats for integers, wider headers, maps) is refused.
  if (Buffer.compare(encodeMessage(msg), frame) !== 0) throw malformed(`${type} message is not canonically encoded`)
  return msg
}

function fromArray (type: WireType, a: unknown[], maxSlice: number): WireMessage {
  const maxIndex = MAX_SLICE_COUNT - 1
  switch (type) {
    case 'handshake': {
      fields(a, 4, type)
      const version = uint(a[1], 'version', Number.MAX_SAFE_INTEGER)
      if (version !== WIRE_VERSION) throw new SwarmError('UNSUPPORTED_VERSION', `peer speaks slice protocol version ${version}, this node ${WIRE_VERSION}`, { version })
      if (!Array.isArray(a[2]) || a[2].length > MAX_CARDS_PER_HANDSHAKE) throw malformed(`a handshake names at most ${MAX_CARDS_PER_HANDSHAKE} cards`)
      const cards = a[2].map(c => cardId(c))
      const maxInFlight = uint(a[3], 'max in-flight', MAX_IN_FLIGHT_LIMIT)
      return { type, version, cards, maxInFlight }
    }
    case 'bitfield':
      fields(a, 3, type)
      return { type, card: cardId(a[1]), bits: bytes(a[2], 'bitfield', 1, bitfieldBytes(MAX_SLICE_COUNT)) }
    case 'have': case 'request': case 'cancel':
      fields(a, 3, type)
      return { type, card: cardId(a[1]), index: uint(a[2], 'slice index', maxIndex) }
    case 'slice':
      fields(a, 4, type)
      return { type, card: cardId(a[1]), index: uint(a[2], 'slice index', maxIndex), bytes: bytes(a[3], 'slice', 1, maxSlice) }
    case 'leaves-request': {
      fields(a, 4, type)
      const from = uint(a[2], 'first leaf', maxIndex)
      const count = uint(a[3], 'leaf count', MAX_LEAVES_PER_MESSAGE)
      if (count < 1) throw malformed('a leaves request asks for at least one leaf')
      return { type, card: cardId(a[1]), from, count }
    }
    case 'leaves': {
      fields(a, 4, type)
      const from = uint(a[2], 'first leaf', maxIndex)
      const packed = bytes(a[3], 'leaf hashes', HASH_BYTES, MAX_LEAVES_PER_MESSAGE * HASH_BYTES)
      return { type, card: cardId(a[1]), from, hashes: unpackLeaves(packed) }
    }
    case 'reject': {
      fields(a, 4, type)
      const reason = a[3]
      if (typeof reason !== 'string' || !(REJECT_REASONS as readonly string[]).includes(reason)) throw malformed('unknown reject reason')
      return { type, card: cardId(a[1]), index: uint(a[2], 'slice index', maxIndex), reason: reason as RejectReason }
    }
  }
}

/**
 * The checks that need the card's layout: indexes inside the card, a bitfield of the right length
 * with no spare bits, a slice of exactly its stored length, a leaf page inside the layer.
 */
export function checkAgainstCard (msg: WireMessage, layout: SliceLayout, encrypted: boolean): void {
  switch (msg.type) {
    case 'handshake': return
    case 'bitfield': assertBitfield(msg.bits, layout.sliceCount); return
    case 'have': case 'request': case 'cancel': case 'reject': assertIndex(layout, msg.index); return
    case 'slice': {
      assertIndex(layout, msg.index)
      const expected = storedSliceLength(layout, msg.index, encrypted)
      if (msg.bytes.length !== expected) throw new SwarmError('SLICE_MISMATCH', `slice ${msg.index} is ${msg.bytes.length} bytes, expected ${expected}`, { index: msg.index })
      return
    }
    case 'leaves-request': case 'leaves': {
      const count = msg.type === 'leaves' ? msg.hashes.length : msg.count
      if (msg.from + count > layout.sliceCount) {
        throw new SwarmError('INDEX_OUT_OF_RANGE', `leaves ${msg.from}..${msg.from + count - 1} are outside the card's ${layout.sliceCount}`, { from: msg.from, count })
      }
    }
  }
}
