/**
 * Byte helpers shared by every layer: strict hex (always `0x`-prefixed, lowercase out, even length
 * in), strict UTF-8, equality and concatenation. Strictness matters because these functions sit
 * under the RPC and the JSON forms of signed objects: two spellings of one value would let the
 * same transaction be shown or accepted in two ways.
 */
import { CodecError } from './errors.js'

const HEX_DIGITS = '0123456789abcdef'
const HEX_PAIRS: string[] = Array.from({ length: 256 }, (_, i) => HEX_DIGITS[i >> 4] + HEX_DIGITS[i & 15])

/** The longest typed array V8 may keep inside its own heap (V8's typed_array_max_size_in_heap). */
const MAX_ON_HEAP_BYTES = 64

/**
 * A Buffer over `bytes`, for node's native encoders (hex, latin1, base64url). V8 keeps a typed array
 * of up to 64 bytes inside its heap, and reading such an array's `.buffer` moves it out: a malloc
 * and a copy now, a free on the sweeper later, several times the cost of the encoding (measured:
 * ~0.7–2 µs against ~0.2 µs for a fresh 27-byte state key). Those are copied into node's buffer
 * pool instead; longer arrays are viewed where they are.
 */
export function nodeBuffer (bytes: Uint8Array): Buffer {
  return bytes.byteLength <= MAX_ON_HEAP_BYTES ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * A string standing for `bytes` exactly, one latin1 character per byte: a Map or Set key half the
 * length of hex, which V8 hashes and compares that much faster. Never shown to anyone.
 */
export function binaryKey (bytes: Uint8Array): string {
  return nodeBuffer(bytes).toString('latin1')
}

/** Lowercase hex without the `0x` prefix: map keys and log fields. */
export function bareHex (bytes: Uint8Array): string {
  return nodeBuffer(bytes).toString('hex')
}

export function toHex (bytes: Uint8Array): string {
  // measured: the pair table wins for short inputs, Node's native encoder from about 24 bytes
  // (2x for a 64-byte signature, 3x for a 150-byte transaction)
  if (bytes.length >= 24) return '0x' + bareHex(bytes)
  let out = '0x'
  for (let i = 0; i < bytes.length; i++) out += HEX_PAIRS[bytes[i]]
  return out
}

function nibble (code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 102) return code - 87
  if (code >= 65 && code <= 70) return code - 55
  return -1
}

/** Parses `0x`-prefixed hex (either case). `expectedLength` is in bytes. */
export function fromHex (text: string, expectedLength?: number): Uint8Array {
  if (typeof text !== 'string') {
    throw new CodecError('MALFORMED', `expected a 0x-prefixed hex string, got ${typeof text}`)
  }
  if (!text.startsWith('0x')) {
    throw new CodecError('MALFORMED', `hex string must start with 0x: "${preview(text)}"`)
  }
  const digits = text.length - 2
  if (digits % 2 !== 0) {
    throw new CodecError('MALFORMED', `hex string has an odd number of digits (${digits})`)
  }
  const out = new Uint8Array(digits / 2)
  // Longer inputs (a transaction submitted over JSON-RPC) go through node's decoder, about six times
  // faster than the loop below. It accepts the same digits and stops at the first invalid one, so
  // a short count means a bad digit: the loop then finds it for the message. A typed array this
  // long already lives outside V8's heap, so viewing its buffer costs nothing.
  if (out.length > MAX_ON_HEAP_BYTES && Buffer.from(out.buffer).write(text.slice(2), 'hex') === out.length) {
    return checkLength(out, expectedLength)
  }
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(text.charCodeAt(2 + 2 * i))
    const lo = nibble(text.charCodeAt(3 + 2 * i))
    if (hi < 0 || lo < 0) {
      throw new CodecError('MALFORMED', `invalid hex digit at position ${2 + 2 * i} of "${preview(text)}"`)
    }
    out[i] = (hi << 4) | lo
  }
  return checkLength(out, expectedLength)
}

function checkLength (out: Uint8Array, expectedLength: number | undefined): Uint8Array {
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new CodecError('WRONG_LENGTH', `expected ${expectedLength} bytes of hex, got ${out.length}`)
  }
  return out
}

function preview (text: string): string {
  return text.length > 24 ? `${text.slice(0, 24)}…` : text
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic byte order, for sorting keys and ids deterministically. */
export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

export function concatBytes (...parts: Uint8Array[]): Uint8Array {
  let total = 0
  for (const p of parts) total += p.length
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const encoder = new TextEncoder()
// ignoreBOM keeps a leading U+FEFF as a character: stripping it would make two byte strings decode
// to one text, and re-encoding would then not reproduce the input.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** UTF-8 bytes of `text`; a lone surrogate cannot be encoded faithfully, so it is refused. */
export function utf8 (text: string): Uint8Array {
  if (LONE_SURROGATE.test(text)) {
    throw new CodecError('INVALID_UTF8', 'text contains a lone UTF-16 surrogate and has no UTF-8 form')
  }
  return encoder.encode(text)
}

export function fromUtf8 (bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes)
  } catch {
    throw new CodecError('INVALID_UTF8', `invalid UTF-8 in ${bytes.length} bytes`)
  }
}
