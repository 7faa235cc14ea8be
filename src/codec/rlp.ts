/**
 * Strict RLP over @ethereumjs/rlp. Everything folio hashes or signs is RLP, so a decoder that
 * accepted two byte strings for one value would let an attacker change a transaction's bytes (and
 * its id) without touching its meaning. The library is lenient in a few places (empty input,
 * trailing bytes in stream mode) and throws plain Errors; this wrapper rejects every input whose
 * re-encoding differs from it and reports each failure as a CodecError.
 */
import { decode as libDecode, encode as libEncode } from '@ethereumjs/rlp'
import { CodecError } from './errors.js'
import type { CodecErrorCode } from './errors.js'
import { bytesEqual } from './hex.js'

export type RlpItem = Uint8Array | RlpItem[]

/**
 * Deepest list nesting accepted. folio's structures nest fewer than ten levels; the bound matters
 * because the library copies each list's content once per level, so deep nesting would cost time
 * quadratic in the input before it failed.
 */
export const RLP_MAX_DEPTH = 64

export function rlpEncode (item: RlpItem): Uint8Array {
  return libEncode(item)
}

// The library's messages for inputs that are well-formed but spelled in a non-minimal way.
const NON_CANONICAL_HINTS = ['extra zeros', 'not prefixed', 'greater than 55', 'list too short']

function classify (err: unknown): CodecError {
  if (err instanceof CodecError) return err
  if (err instanceof RangeError) {
    return new CodecError('MALFORMED', 'RLP nested too deeply to decode')
  }
  const text = err instanceof Error ? err.message : String(err)
  const code: CodecErrorCode = NON_CANONICAL_HINTS.some(h => text.includes(h)) ? 'NON_CANONICAL' : 'MALFORMED'
  return new CodecError(code, `invalid RLP: ${text.replace(/^invalid RLP[^:]*: ?/, '')}`)
}

/**
 * Decodes exactly one RLP item occupying all of `bytes`. `maxBytes` bounds the input before any
 * work is done, for callers reading from the network.
 */
export function rlpDecode (bytes: Uint8Array, maxBytes?: number): RlpItem {
  if (!(bytes instanceof Uint8Array)) {
    throw new CodecError('MALFORMED', 'RLP input must be a Uint8Array')
  }
  if (maxBytes !== undefined && bytes.length > maxBytes) {
    throw new CodecError('TOO_LARGE', `RLP input of ${bytes.length} bytes exceeds the limit of ${maxBytes}`)
  }
  if (bytes.length === 0) {
    throw new CodecError('MALFORMED', 'RLP input is empty')
  }
  checkDepth(bytes)
  let item: RlpItem
  let consumed: number
  try {
    const { data, remainder } = libDecode(bytes, true)
    item = data
    consumed = bytes.length - remainder.length
  } catch (err) {
    throw classify(err)
  }
  if (consumed !== bytes.length) {
    throw new CodecError('TRAILING_BYTES', `${bytes.length - consumed} bytes after the RLP item`)
  }
  // The final word on canonical form: whatever the library let through must re-encode to itself.
  let again: Uint8Array
  try {
    again = libEncode(item)
  } catch (err) {
    throw classify(err)
  }
  if (!bytesEqual(again, bytes)) {
    throw new CodecError('NON_CANONICAL', 'RLP input is not in canonical form')
  }
  return item
}

/** Reads the big-endian length that follows a long-form prefix; -1 when it runs past the input. */
function readLength (bytes: Uint8Array, at: number, size: number): number {
  if (at + size > bytes.length) return -1
  let n = 0
  for (let i = 0; i < size; i++) n = n * 256 + bytes[at + i]
  return n
}

/**
 * A linear pre-scan of item headers that refuses nesting beyond RLP_MAX_DEPTH. It stops quietly at
 * the first inconsistent header: the library then reports that error at the same place.
 */
function checkDepth (bytes: Uint8Array): void {
  const ends: number[] = []
  let pos = 0
  while (pos < bytes.length) {
    while (ends.length > 0 && pos >= ends[ends.length - 1]) ends.pop()
    const b = bytes[pos]
    let header: number
    let length: number
    if (b < 0x80) { header = 1; length = 0 } else if (b < 0xb8) { header = 1; length = b - 0x80 } else if (b < 0xc0) {
      header = 1 + b - 0xb7; length = readLength(bytes, pos + 1, b - 0xb7)
    } else if (b < 0xf8) { header = 1; length = b - 0xc0 } else {
      header = 1 + b - 0xf7; length = readLength(bytes, pos + 1, b - 0xf7)
    }
    if (length < 0 || pos + header + length > bytes.length) return
    if (b < 0xc0) {
      pos += header + length
    } else {
      ends.push(pos + header + length)
      if (ends.length > RLP_MAX_DEPTH) throw new CodecError('MALFORMED', `RLP lists nested deeper than ${RLP_MAX_DEPTH}`)
      pos += header
    }
  }
}

/** Minimal big-endian bytes of a non-negative integer; zero is the empty string. */
export function uintToBytes (v: bigint | number): Uint8Array {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new CodecError('OUT_OF_RANGE', `${v} is not a non-negative safe integer`)
    }
    v = BigInt(v)
  }
  if (typeof v !== 'bigint') throw new CodecError('MALFORMED', `expected an integer, got ${typeof v}`)
  if (v < 0n) throw new CodecError('OUT_OF_RANGE', `${v} is negative; only unsigned integers are encoded`)
  if (v === 0n) return new Uint8Array(0)
  let hex = v.toString(16)
  if (hex.length % 2 === 1) hex = '0' + hex
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** Reads a minimal big-endian unsigned integer of at most `maxBytes` bytes. */
export function bytesToUint (b: Uint8Array, maxBytes = 32): bigint {
  if (!(b instanceof Uint8Array)) throw new CodecError('MALFORMED', 'expected an integer as a byte string, got a list')
  if (b.length > maxBytes) {
    throw new CodecError('OUT_OF_RANGE', `integer of ${b.length} bytes exceeds ${maxBytes} bytes`)
  }
  if (b.length > 0 && b[0] === 0) throw new CodecError('NON_CANONICAL', 'non-canonical integer (leading zero byte)')
  let v = 0n
  for (let i = 0; i < b.length; i++) v = (v << 8n) | BigInt(b[i])
  return v
}

/** Narrows an item to a byte string; `what` names it in the error. */
export function expectBytes (item: RlpItem, what: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new CodecError('MALFORMED', `${what}: expected a byte string, got a list`)
  return item
}

/** Narrows an item to a list, optionally of exactly `count` items. */
export function expectList (item: RlpItem, what: string, count?: number): RlpItem[] {
  if (!Array.isArray(item)) throw new CodecError('MALFORMED', `${what}: expected a list, got a byte string`)
  if (count !== undefined && item.length !== count) {
    throw new CodecError('WRONG_LENGTH', `${what}: expected a list of ${count} items, got ${item.length}`)
  }
  return item
}
