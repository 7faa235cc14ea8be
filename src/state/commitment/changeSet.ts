/**
 * A block's changes, hashed and packed: keyHash || valueHash per change in one array, sorted by
 * keyHash with the last write of a key kept. Sorting by keyHash also groups the changes by bucket
 * (a bucket is the first two bytes of keyHash). Packing keeps the per-update garbage to
 * short-lived hash outputs instead of thousands of objects that survive until the update ends.
 */
import { sha256 } from '../../crypto/index.js'
import { HASH_BYTES, PAIR_BYTES, compareHashAt } from './layout.js'

export class ChangeSet {
  private constructor (
    /** keyHash || valueHash of change i at i * PAIR_BYTES (valueHash all zero when deleted). */
    readonly hashes: Uint8Array,
    readonly deleted: Uint8Array,
    /** Change indices sorted by keyHash, one per distinct key (its last write). */
    readonly order: Uint32Array,
    /** Touched buckets, ascending; bucket i's changes are order[starts[i] .. starts[i + 1]). */
    readonly buckets: number[],
    readonly starts: number[]
  ) {}

  static collect (changes: Iterable<[key: Uint8Array, value: Uint8Array | null]>): ChangeSet {
    let hashes = new Uint8Array(1024 * PAIR_BYTES)
    let deleted = new Uint8Array(1024)
    let n = 0
    for (const [key, value] of changes) {
      if (n === deleted.length) {
        const grownHashes = new Uint8Array(hashes.length * 2)
        grownHashes.set(hashes)
        hashes = grownHashes
        const grownDeleted = new Uint8Array(deleted.length * 2)
        grownDeleted.set(deleted)
        deleted = grownDeleted
      }
      hashes.set(sha256(key), n * PAIR_BYTES)
      if (value === null) deleted[n] = 1
      else hashes.set(sha256(value), n * PAIR_BYTES + HASH_BYTES)
      n++
    }
    const sorted = new Uint32Array(n)
    for (let i = 0; i < n; i++) sorted[i] = i
    // Ties broken by position, so the last write of a key ends its run of equal keyHashes.
    sorted.sort((a, b) => compareHashAt(hashes, a * PAIR_BYTES, hashes, b * PAIR_BYTES) || a - b)
    const order = new Uint32Array(n)
    const buckets: number[] = []
    const starts: number[] = []
    let m = 0
    for (let s = 0; s < n; s++) {
      const i = sorted[s]
      if (s + 1 < n && compareHashAt(hashes, i * PAIR_BYTES, hashes, sorted[s + 1] * PAIR_BYTES) === 0) continue
      const bucket = (hashes[i * PAIR_BYTES] << 8) | hashes[i * PAIR_BYTES + 1]
      if (buckets.length === 0 || buckets[buckets.length - 1] !== bucket) {
        buckets.push(bucket)
        starts.push(m)
      }
      order[m++] = i
    }
    starts.push(m)
    return new ChangeSet(hashes, deleted, order.subarray(0, m), buckets, starts)
  }
}
