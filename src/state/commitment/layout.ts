/**
 * The hashing layout of the bucketed Merkle tree (docs/state-commitment.md). Pure and free of
 * node-only imports beyond src/crypto, so that light clients can verify proofs with it.
 *
 *   keyHash   = sha256(key)              bucket = keyHash[0] << 8 | keyHash[1]
 *   valueHash = sha256(value)
 *   bucket    = sha256(0x02 || u32be(count) || keyHash_1 || valueHash_1 || …)  (sorted by keyHash)
 *   node      = sha256(0x01 || left || right)
 *
 * The domain bytes keep a bucket's preimage from ever parsing as an inner node's and vice versa.
 */
import { sha256Concat } from '../../crypto/index.js'

export const HASH_BYTES = 32
/** One (keyHash, valueHash) pair as stored in a bucket and carried in a proof. */
export const PAIR_BYTES = 64
export const TREE_DEPTH = 16
export const BUCKET_COUNT = 1 << TREE_DEPTH

/** Domain bytes: the first byte hashed for an inner node and for a bucket. */
export const NODE_DOMAIN = 0x01
export const BUCKET_DOMAIN = 0x02

export function bucketOfKeyHash (keyHash: Uint8Array): number {
  return (keyHash[0] << 8) | keyHash[1]
}

export function hashNode (left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Concat(Uint8Array.of(NODE_DOMAIN), left, right)
}

/** `pairs` must already be sorted and de-duplicated; the count is bound into the hash. */
export function hashBucket (pairs: Uint8Array): Uint8Array {
  const count = pairs.length / PAIR_BYTES
  const header = Uint8Array.of(BUCKET_DOMAIN, count >>> 24, (count >>> 16) & 0xff, (count >>> 8) & 0xff, count & 0xff)
  return sha256Concat(header, pairs)
}

/** EMPTY_SUBTREE[i] is the hash of an all-empty subtree of height i (0 = an empty bucket). */
export const EMPTY_SUBTREE: readonly Uint8Array[] = (() => {
  const out = [hashBucket(new Uint8Array(0))]
  for (let i = 1; i <= TREE_DEPTH; i++) out.push(hashNode(out[i - 1], out[i - 1]))
  return out
})()

export const EMPTY_BUCKET_HASH: Uint8Array = EMPTY_SUBTREE[0]
/** A copy, so that a caller writing into the exported array cannot change the tree's constants. */
export const EMPTY_STATE_ROOT: Uint8Array = EMPTY_SUBTREE[TREE_DEPTH].slice()

/** Lexicographic order of two 32-byte hashes stored at offsets of larger arrays. */
export function compareHashAt (a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): number {
  for (let i = 0; i < HASH_BYTES; i++) {
    const d = a[aOff + i] - b[bOff + i]
    if (d !== 0) return d
  }
  return 0
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Checks that a packed pair list is well formed for bucket `bucket`: whole pairs, keyHashes
 * strictly increasing (sorted, no duplicates) and all mapping to that bucket.
 */
export function isCanonicalBucket (bucket: number, pairs: Uint8Array): boolean {
  if (pairs.length % PAIR_BYTES !== 0) return false
  const hi = bucket >> 8
  const lo = bucket & 0xff
  for (let off = 0; off < pairs.length; off += PAIR_BYTES) {
    if (pairs[off] !== hi || pairs[off + 1] !== lo) return false
    if (off > 0 && compareHashAt(pairs, off - PAIR_BYTES, pairs, off) >= 0) return false
  }
  return true
}

/** Binary search for `keyHash` in a canonical pair list; returns the pair index or -1. */
export function findPair (pairs: Uint8Array, keyHash: Uint8Array): number {
  let lo = 0
  let hi = pairs.length / PAIR_BYTES - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const c = compareHashAt(pairs, mid * PAIR_BYTES, keyHash, 0)
    if (c === 0) return mid
    if (c < 0) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}
