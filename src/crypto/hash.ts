/**
 * SHA-256, randomness and constant-time comparison on node:crypto. SHA-256 is the one hash of the
 * chain (MISSION.md §3): native hashing is ~20x faster than pure JS here, and every content slice,
 * Merkle node and transaction id goes through it.
 */
import * as nodeCrypto from 'node:crypto'
import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto'
import { toUint8 } from './bytes.js'

// The one-shot hash (Node ≥ 20.12) allocates no Hash object: the state commitment's ~34k hashes
// per block spent about half their CPU collecting those (measured in bench/commitment.ts).
const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'binary') => string }).hash

/**
 * Digests come back from node:crypto as binary strings and are copied into fresh 32-byte arrays.
 * A digest as a Buffer is an ArrayBuffer whose memory node:crypto mallocs outside V8's heap, and
 * V8 then tracks, marks and sweeps each one: 1.3–1.5 µs of CPU per hash against 0.27–0.32 µs for
 * the string and the copy (docs/decisions/0017-digests-as-strings.md). A typed array of 64 bytes
 * or less lives in V8's heap and dies in a young collection at no further cost.
 */
function digestBytes (binary: string): Uint8Array {
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

export function sha256 (data: Uint8Array): Uint8Array {
  if (oneShot !== undefined) return digestBytes(oneShot('sha256', data, 'binary'))
  return digestBytes(createHash('sha256').update(data).digest('binary'))
}

/** One hash over the concatenation of `parts`, without allocating the concatenation. */
export function sha256Concat (...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return digestBytes(hash.digest('binary'))
}

export function randomBytes (n: number): Uint8Array {
  return toUint8(nodeRandomBytes(n))
}

/** Equality whose running time does not depend on where the inputs differ (only on their length). */
export function constantTimeEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  return timingSafeEqual(a, b)
}
