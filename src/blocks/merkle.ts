/**
 * The binary SHA-256 Merkle tree used for a block's txRoot (over transaction ids) and anywhere a
 * list needs a compact commitment with inclusion proofs. Leaves and inner nodes are hashed with
 * different one-byte prefixes (0x00, 0x01) so that an inner node can never be passed off as a leaf
 * (the second-preimage attack on naive Merkle trees). A node without a sibling is promoted to the
 * next level unchanged rather than paired with itself, which would let two lists share a root.
 */
import { sha256, sha256Concat } from '../crypto/index.js'
import { bytesEqual } from '../codec/hex.js'

const LEAF = Uint8Array.of(0)
const NODE = Uint8Array.of(1)

export function merkleLeaf (data: Uint8Array): Uint8Array {
  return sha256Concat(LEAF, data)
}

function merkleNode (left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Concat(NODE, left, right)
}

/** Root over `leaves` in order; the empty list has root sha256(""). */
export function merkleRoot (leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0))
  let level = leaves.map(merkleLeaf)
  while (level.length > 1) level = nextLevel(level)
  return level[0]
}

function nextLevel (level: Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = []
  for (let i = 0; i + 1 < level.length; i += 2) next.push(merkleNode(level[i], level[i + 1]))
  if (level.length % 2 === 1) next.push(level[level.length - 1])
  return next
}

/** The siblings from leaf to root; levels where the node was promoted contribute none. */
export interface MerkleProof {
  index: number
  total: number
  siblings: Uint8Array[]
}

export function merkleProof (leaves: Uint8Array[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf index ${index} is outside 0..${leaves.length - 1}`)
  }
  const siblings: Uint8Array[] = []
  let level = leaves.map(merkleLeaf)
  let at = index
  while (level.length > 1) {
    const sibling = at ^ 1
    if (sibling < level.length) siblings.push(level[sibling])
    level = nextLevel(level)
    at >>= 1
  }
  return { index, total: leaves.length, siblings }
}

export function verifyMerkleProof (root: Uint8Array, leafData: Uint8Array, proof: MerkleProof): boolean {
  const { index, total, siblings } = proof
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(total) || index < 0 || index >= total) return false
  let hash = merkleLeaf(leafData)
  let at = index
  let width = total
  let used = 0
  while (width > 1) {
    const sibling = at ^ 1
    if (sibling < width) {
      if (used >= siblings.length) return false
      hash = (at & 1) === 0 ? merkleNode(hash, siblings[used]) : merkleNode(siblings[used], hash)
      used++
    }
    at >>= 1
    width = Math.ceil(width / 2)
  }
  return used === siblings.length && bytesEqual(hash, root)
}
