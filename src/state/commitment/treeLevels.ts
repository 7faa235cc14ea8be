/**
 * The 16 levels of the binary tree over the bucket hashes, kept in memory (~4 MiB). Each level is
 * stored as the preimages of the level above: per pair of siblings, the 65 bytes
 * `0x01 || left || right`. Rehashing a parent is then one hash over a view, with no copy and no
 * concatenation, which matters at ~19,000 parents per 5,000-key update.
 */
import { sha256 } from '../../crypto/index.js'
import { BUCKET_COUNT, EMPTY_SUBTREE, HASH_BYTES, NODE_DOMAIN, TREE_DEPTH } from './layout.js'

const RECORD = 1 + 2 * HASH_BYTES

function offset (index: number): number {
  return (index >>> 1) * RECORD + 1 + (index & 1) * HASH_BYTES
}

export class TreeLevels {
  /** levels[l] holds the nodes of height l (0 = buckets) as sibling records; the root apart. */
  private readonly levels: Uint8Array[] = []
  private rootHash: Uint8Array = EMPTY_SUBTREE[TREE_DEPTH]

  constructor () {
    for (let level = 0; level < TREE_DEPTH; level++) {
      const bytes = new Uint8Array((BUCKET_COUNT >>> (level + 1)) * RECORD)
      bytes[0] = NODE_DOMAIN
      bytes.set(EMPTY_SUBTREE[level], 1)
      bytes.set(EMPTY_SUBTREE[level], 1 + HASH_BYTES)
      for (let filled = RECORD; filled < bytes.length; filled *= 2) bytes.copyWithin(filled, 0, filled)
      this.levels.push(bytes)
    }
  }

  root (): Uint8Array {
    return this.rootHash.slice()
  }

  /** A view of bucket `bucket`'s hash; valid until the next setLeaf of that bucket. */
  leaf (bucket: number): Uint8Array {
    const off = offset(bucket)
    return this.levels[0].subarray(off, off + HASH_BYTES)
  }

  setLeaf (bucket: number, hash: Uint8Array): void {
    this.levels[0].set(hash, offset(bucket))
  }

  /** The TREE_DEPTH sibling hashes on the path from `bucket` to the root, leaf level first. */
  siblings (bucket: number): Uint8Array[] {
    const out: Uint8Array[] = []
    for (let level = 0; level < TREE_DEPTH; level++) {
      const off = offset((bucket >>> level) ^ 1)
      out.push(this.levels[level].slice(off, off + HASH_BYTES))
    }
    return out
  }

  /** Rehashes the ancestors of the changed `buckets` (sorted, unique), one level at a time. */
  recompute (buckets: readonly number[]): void {
    let indices = buckets
    for (let level = 0; level < TREE_DEPTH; level++) {
      const below = this.levels[level]
      const above = level + 1 < TREE_DEPTH ? this.levels[level + 1] : undefined
      const parents: number[] = []
      for (const index of indices) {
        const parent = index >>> 1
        if (parents.length > 0 && parents[parents.length - 1] === parent) continue
        parents.push(parent)
        const hash = sha256(below.subarray(parent * RECORD, (parent + 1) * RECORD))
        if (above === undefined) this.rootHash = hash
        else above.set(hash, offset(parent))
      }
      indices = parents
    }
  }
}
