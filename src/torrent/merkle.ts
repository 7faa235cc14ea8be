/**
 * The content Merkle tree (MISSION.md §7, after BEP 52): leaves are SHA-256 hashes of the
 * *encrypted* slices, so seeders without the key can verify what they store and serve. The leaf
 * layer is padded with zero hashes to a power of two; an internal node is
 * SHA-256(0x01 || left || right). A receiver fetches the whole leaf layer once, checks it against
 * the card's `contentRoot`, then checks each slice against its leaf alone — no per-slice proofs.
 * The slice count is fixed by the card, so the tree's shape is never ambiguous.
 */
import { constantTimeEqual, sha256 } from '../crypto/index.js'
import { SwarmError } from './errors.js'
import { MAX_SLICE_COUNT } from './layout.js'

export const HASH_BYTES = 32
const NODE_TAG = 0x01
const ZERO_HASH = new Uint8Array(HASH_BYTES)

export function leafHash (slice: Uint8Array): Uint8Array {
  return sha256(slice)
}

/** One scratch buffer for 0x01 || left || right: a single hash update is measurably cheaper than three. */
const scratch = new Uint8Array(1 + 2 * HASH_BYTES)
scratch[0] = NODE_TAG

export function nodeHash (left: Uint8Array, right: Uint8Array): Uint8Array {
  scratch.set(left, 1)
  scratch.set(right, 1 + HASH_BYTES)
  return sha256(scratch)
}

/** zeroSubtree[h] = root of a subtree of height h whose leaves are all padding. */
const zeroSubtree: Uint8Array[] = [ZERO_HASH]
function zeroRoot (height: number): Uint8Array {
  while (zeroSubtree.length <= height) {
    const below = zeroSubtree[zeroSubtree.length - 1]!
    zeroSubtree.push(nodeHash(below, below))
  }
  return zeroSubtree[height]!
}

/**
 * Root over the leaf hashes. Padding subtrees are taken from a precomputed table, so a card of
 * 2^k + 1 slices costs about 2^k + k hashes, not 2^(k+1).
 */
export function contentRoot (leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length < 1 || leafHashes.length > MAX_SLICE_COUNT) {
    throw new SwarmError('BAD_LAYOUT', `a content tree needs 1..${MAX_SLICE_COUNT} leaves, got ${leafHashes.length}`)
  }
  for (const h of leafHashes) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) {
      throw new SwarmError('LEAVES_MISMATCH', `every leaf hash must be ${HASH_BYTES} bytes`)
    }
  }
  let level: Uint8Array[] = [...leafHashes]
  let height = 0
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) {
      next.push(nodeHash(level[i]!, level[i + 1] ?? zeroRoot(height)))
    }
    level = next
    height++
  }
  return level[0]!
}

function isZeroHash (h: Uint8Array): boolean {
  for (const b of h) if (b !== 0) return false
  return true
}

/** Checks a leaf layer fetched from a peer against the card's root and slice count. */
export function verifyLeafLayer (root: Uint8Array, leafHashes: readonly Uint8Array[], sliceCount: number): boolean {
  if (leafHashes.length !== sliceCount || sliceCount < 1 || sliceCount > MAX_SLICE_COUNT) return false
  if (leafHashes.some(h => !(h instanceof Uint8Array) || h.length !== HASH_BYTES)) return false
  // No slice hashes to zero, so a zero leaf can only be padding passed off as a slice: without this
  // check [a, b, c, 0] would verify against the root of [a, b, c].
  if (leafHashes.some(isZeroHash)) return false
  return constantTimeEqual(contentRoot(leafHashes), root)
}

/** Checks one slice (as stored and exchanged: encrypted) against its verified leaf hash. */
export function verifySlice (leafHashes: readonly Uint8Array[], index: number, bytes: Uint8Array): boolean {
  const expected = leafHashes[index]
  if (!Number.isSafeInteger(index) || expected == null) return false
  return constantTimeEqual(leafHash(bytes), expected)
}

/** The leaf layer as one buffer of 32-byte hashes: how it is stored and sent. */
export function packLeaves (leafHashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(leafHashes.length * HASH_BYTES)
  leafHashes.forEach((h, i) => out.set(h, i * HASH_BYTES))
  return out
}

export function unpackLeaves (packed: Uint8Array): Uint8Array[] {
  if (packed.length % HASH_BYTES !== 0) {
    throw new SwarmError('MALFORMED_MESSAGE', `a packed leaf layer must be a multiple of ${HASH_BYTES} bytes, got ${packed.length}`)
  }
  const out: Uint8Array[] = []
  for (let o = 0; o < packed.length; o += HASH_BYTES) out.push(packed.slice(o, o + HASH_BYTES))
  return out
}
