/**
 * Opaque feed cursors: base64url of
 *
 *   [version 1][sort 1][filter digest 8][position length 1][position][HMAC-SHA256 tag 16]
 *
 * The position is where the previous page stopped in the sort order (seq+id for `new`,
 * score+seq+id for score orders), so a cursor stays valid while new cards arrive. The digest binds
 * it to the filter and sort it was issued for, and the HMAC under the node's index secret means a
 * client cannot forge a position (e.g. one that makes the planner skip its range checks).
 */
import { sha256, sha256Concat, constantTimeEqual, randomBytes } from '../../crypto/index.js'
import { concatBytes, utf8 } from '../../codec/index.js'
import type { KVStore } from '../store.js'
import { FeedError } from './errors.js'
import { metaKey } from './layout.js'

const VERSION = 1
const TAG_BYTES = 16
const DIGEST_BYTES = 8
export const MAX_CURSOR_CHARS = 256
const SORT_CODES = ['new', 'top', 'trending', 'seeded'] as const

/** HMAC-SHA256 (RFC 2104) over the native SHA-256 of src/crypto. */
export function hmacSha256 (key: Uint8Array, message: Uint8Array): Uint8Array {
  const block = new Uint8Array(64)
  block.set(key.length > 64 ? sha256(key) : key)
  const inner = block.map(b => b ^ 0x36)
  const outer = block.map(b => b ^ 0x5c)
  return sha256Concat(outer, sha256Concat(inner, message))
}

/** The node's cursor secret, created once and kept across restarts and reindexing. */
export async function cursorSecret (kv: KVStore): Promise<Uint8Array> {
  const key = metaKey('secret')
  const existing = await kv.get(key)
  if (existing !== undefined && existing.length === 32) return existing
  const secret = randomBytes(32)
  await kv.batch([{ type: 'put', key, value: secret }])
  return secret
}

/** A digest of the canonical JSON of a normalized filter and sort. */
export function queryDigest (canonical: unknown): Uint8Array {
  return sha256(utf8(JSON.stringify(canonical))).subarray(0, DIGEST_BYTES)
}

export function encodeCursor (secret: Uint8Array, sort: typeof SORT_CODES[number], digest: Uint8Array, position: Uint8Array): string {
  const body = concatBytes(Uint8Array.of(VERSION, SORT_CODES.indexOf(sort)), digest, Uint8Array.of(position.length), position)
  return Buffer.from(concatBytes(body, hmacSha256(secret, body).subarray(0, TAG_BYTES))).toString('base64url')
}

/** The position in `text`, or FeedError INVALID_CURSOR saying what is wrong with it. */
export function decodeCursor (secret: Uint8Array, text: unknown, sort: typeof SORT_CODES[number], digest: Uint8Array): Uint8Array {
  const bad = (why: string): never => { throw new FeedError('INVALID_CURSOR', `cursor ${why}; pass the cursor of the previous page unchanged, or none to start over`) }
  if (typeof text !== 'string') return bad('must be a string')
  if (text.length === 0 || text.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(text)) return bad('is not a cursor this node issued')
  const raw = new Uint8Array(Buffer.from(text, 'base64url'))
  if (raw.length < 2 + DIGEST_BYTES + 1 + TAG_BYTES) return bad('is truncated')
  const body = raw.subarray(0, raw.length - TAG_BYTES)
  if (!constantTimeEqual(hmacSha256(secret, body).subarray(0, TAG_BYTES), raw.subarray(raw.length - TAG_BYTES))) return bad('does not verify (garbled, forged or from another node)')
  if (body[0] !== VERSION) return bad(`has version ${body[0]}, expected ${VERSION}`)
  if (SORT_CODES[body[1]] !== sort) return bad(`was issued for sort "${SORT_CODES[body[1]] ?? '?'}", not "${sort}"`)
  if (!constantTimeEqual(body.subarray(2, 2 + DIGEST_BYTES), digest)) return bad('was issued for a different filter')
  const len = body[2 + DIGEST_BYTES]
  const position = body.subarray(3 + DIGEST_BYTES)
  if (position.length !== len) return bad('is malformed')
  return Uint8Array.from(position)
}
