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
const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash

export function sha256 (data: Uint8Array): Uint8Array {
  if (oneShot !== undefined) return toUint8(oneShot('sha256', data, 'buffer'))
  return toUint8(createHash('sha256').update(data).digest())
}

/** One hash over the concatenation of `parts`, without allocating the concatenation. */
export function sha256Concat (...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return toUint8(hash.digest())
}

export function randomBytes (n: number): Uint8Array {
  return toUint8(nodeRandomBytes(n))
}

/** Equality whose running time does not depend on where the inputs differ (only on their length). */
export function constantTimeEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  return timingSafeEqual(a, b)
}
