/**
 * Strict RLP. Everything folio hashes or signs is RLP, so a decoder that accepted two byte strings
 * for one value would let an attacker change a transaction's bytes (and its id) without touching
 * its meaning. The decoder therefore accepts only the canonical encoding — the one `rlpEncode`
 * produces — and reports every failure as a CodecError: a single byte below 0x80 must stand for
 * itself, lengths below 56 take the short form, long-form lengths have no leading zero, and every
 * item ends exactly where its header says.
 *
 * Both directions are written here rather than taken from @ethereumjs/rlp (which the tests keep as
 * an oracle): the library copies each list's content once per nesting level, builds lengths
 * through hex strings and concatenates buffers per list, and canonical form could only be checked
 * by encoding the result again. Decoding a 2,000-transaction block that way was a fifth of a busy
 * validator's main thread (docs/decisions/0010-own-rlp-codec.md).
 */
import { CodecError } from './errors.js'
import { fromHex } from './hex.js'

export type RlpItem = Uint8Array | RlpItem[]

/**
 * Deepest list nesting accepted. folio's structures nest fewer than ten levels; the bound keeps
 * recursion (and the work a hostile input can ask for) small.
 */
export const RLP_MAX_DEPTH = 64

/** Pre-order sizes of an item's lists' payloads, filled by `measure` and read back by `write`. */
type Sizes = number[]

function lengthOfLength (n: number): number {
  let k = 1
  while (n >= 256) { n = Math.floor(n / 256); k++ }
  return k
}

function headerSize (payload: number): number {
  return payload < 56 ? 1 : 1 + lengthOfLength(payload)
}

/** Total encoded size of `item`; records each list's payload size in `sizes`, in pre-order. */
function measure (item: RlpItem, sizes: Sizes): number {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80) return 1
    return headerSize(item.length) + item.length
  }
  if (!Array.isArray(item)) throw new CodecError('MALFORMED', `RLP can only encode byte strings and lists, got ${typeof item}`)
  const at = sizes.length
  sizes.push(0)
  let payload = 0
  for (const child of item) payload += measure(child, sizes)
  sizes[at] = payload
  return headerSize(payload) + payload
}

function writeHeader (out: Uint8Array, pos: number, payload: number, short: number, long: number): number {
  if (payload < 56) {
    out[pos] = short + payload
    return pos + 1
  }
  const k = lengthOfLength(payload)
  out[pos] = long + k
  for (let i = k; i >= 1; i--) {
    out[pos + i] = payload & 0xff
    payload = Math.floor(payload / 256)
  }
  return pos + 1 + k
}

function write (item: RlpItem, out: Uint8Array, pos: number, sizes: Sizes, next: { i: number }): number {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80) {
      out[pos] = item[0]
      return pos + 1
    }
    pos = writeHeader(out, pos, item.length, 0x80, 0xb7)
    out.set(item, pos)
    return pos + item.length
  }
  pos = writeHeader(out, pos, sizes[next.i++], 0xc0, 0xf7)
  for (const child of item) pos = write(child, out, pos, sizes, next)
  return pos
}

export function rlpEncode (item: RlpItem): Uint8Array {
  const sizes: Sizes = []
  const out = new Uint8Array(measure(item, sizes))
  write(item, out, 0, sizes, { i: 0 })
  return out
}

/**
 * Decodes exactly one RLP item occupying all of `bytes`. `maxBytes` bounds the input before any
 * work is done, for callers reading from the network. The byte strings returned are views into one
 * private copy of the input, so later changes to `bytes` never reach them.
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
  const input = new Uint8Array(bytes)
  const reader: Reader = { pos: 0, start: 0, length: 0 }
  const item = readItem(input, reader, input.length, 0)
  if (reader.pos !== input.length) {
    throw new CodecError('TRAILING_BYTES', `${input.length - reader.pos} bytes after the RLP item`)
  }
  return item
}

/** A long-form length: `size` big-endian bytes at `at`, without a leading zero, of at least 56. */
function readLongLength (input: Uint8Array, at: number, size: number, end: number, what: string): number {
  if (at + size > end) throw new CodecError('MALFORMED', `invalid RLP: ${what} length runs past the end of the input`)
  if (input[at] === 0) throw new CodecError('NON_CANONICAL', `invalid RLP: ${what} length has a leading zero byte`)
  let n = 0
  for (let i = 0; i < size; i++) n = n * 256 + input[at + i]
  if (n < 56) throw new CodecError('NON_CANONICAL', `invalid RLP: ${what} of ${n} bytes must use the short form`)
  return n
}

/** Where an item's header says its payload is: set by `readHeader`. */
interface Reader { pos: number, start: number, length: number }

/**
 * Reads the header of the item at `reader.pos`, which must end by `end`: sets `reader.start` and
 * `reader.length` to its payload (a single byte below 0x80 is its own payload) and returns the
 * first byte, which tells a byte string (below 0xc0) from a list.
 */
function readHeader (input: Uint8Array, reader: Reader, end: number): number {
  const pos = reader.pos
  const b = input[pos]
  if (b < 0x80) {
    reader.start = pos
    reader.length = 1
    return b
  }
  let start: number
  let length: number
  if (b < 0xb8) {
    start = pos + 1
    length = b - 0x80
    if (length === 1 && start < end && input[start] < 0x80) {
      throw new CodecError('NON_CANONICAL', 'invalid RLP: a single byte below 0x80 must not be prefixed')
    }
  } else if (b < 0xc0) {
    length = readLongLength(input, pos + 1, b - 0xb7, end, 'string')
    start = pos + 1 + b - 0xb7
  } else if (b < 0xf8) {
    start = pos + 1
    length = b - 0xc0
  } else {
    length = readLongLength(input, pos + 1, b - 0xf7, end, 'list')
    start = pos + 1 + b - 0xf7
  }
  if (start + length > end) throw new CodecError('MALFORMED', `invalid RLP: an item of ${length} bytes at offset ${pos} runs past the end of its container`)
  reader.start = start
  reader.length = length
  return b
}

/** Reads the item at `reader.pos`, which must end by `end`, and moves `reader.pos` past it. */
function readItem (input: Uint8Array, reader: Reader, end: number, depth: number): RlpItem {
  const b = readHeader(input, reader, end)
  const start = reader.start
  const stop = start + reader.length
  if (b < 0xc0) {
    reader.pos = stop
    return input.subarray(start, stop)
  }
  if (depth >= RLP_MAX_DEPTH) throw new CodecError('MALFORMED', `RLP lists nested deeper than ${RLP_MAX_DEPTH}`)
  const items: RlpItem[] = []
  reader.pos = start
  while (reader.pos < stop) items.push(readItem(input, reader, stop, depth + 1))
  return items
}

/**
 * The encodings of the elements of the list that all of `bytes` holds, as views into `bytes`,
 * found from their headers alone: nothing inside an element is read or checked. A caller that
 * has decoded `bytes` strictly (`rlpDecode`) gets each element's canonical encoding this way
 * without encoding it again, as a block's transactions need for their ids and sizes.
 */
export function rlpListElements (bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0) throw new CodecError('MALFORMED', 'RLP input is empty')
  const reader: Reader = { pos: 0, start: 0, length: 0 }
  if (readHeader(bytes, reader, bytes.length) < 0xc0) throw new CodecError('MALFORMED', 'RLP input is a byte string, not a list')
  const stop = reader.start + reader.length
  if (stop !== bytes.length) throw new CodecError('TRAILING_BYTES', `${bytes.length - stop} bytes after the RLP item`)
  const elements: Uint8Array[] = []
  let pos = reader.start
  while (pos < stop) {
    reader.pos = pos
    readHeader(bytes, reader, stop)
    const next = reader.start + reader.length
    elements.push(bytes.subarray(pos, next))
    pos = next
  }
  return elements
}

/** Minimal big-endian bytes of a non-negative integer; zero is the empty string. */
export function uintToBytes (v: bigint | number): Uint8Array {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new CodecError('OUT_OF_RANGE', `${v} is not a non-negative safe integer`)
    }
    return safeUintToBytes(v)
  }
  if (typeof v !== 'bigint') throw new CodecError('MALFORMED', `expected an integer, got ${typeof v}`)
  if (v < 0n) throw new CodecError('OUT_OF_RANGE', `${v} is negative; only unsigned integers are encoded`)
  // balances, fees and nonces: most fit a double exactly, and number arithmetic allocates nothing
  if (v <= MAX_SAFE_BIGINT) return safeUintToBytes(Number(v))
  const hex = v.toString(16)
  return fromHex(hex.length % 2 === 1 ? '0x0' + hex : '0x' + hex)
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER)

/** Minimal big-endian bytes of a non-negative safe integer. */
function safeUintToBytes (n: number): Uint8Array {
  let length = 0
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) length++
  const out = new Uint8Array(length)
  for (let i = length - 1; i >= 0; i--) {
    out[i] = n % 256
    n = Math.floor(n / 256)
  }
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
