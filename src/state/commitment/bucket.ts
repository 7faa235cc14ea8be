/**
 * Bucket contents as packed, sorted (keyHash, valueHash) pairs, and the merge of a batch of
 * changes into them. Packed arrays keep 1M keys at ~64 MiB with no per-key objects for the
 * garbage collector to walk.
 */
import { HASH_BYTES, PAIR_BYTES, compareHashAt } from './layout.js'

/** One change to a bucket: `valueHash === null` deletes the key. */
export interface PairChange {
  keyHash: Uint8Array
  valueHash: Uint8Array | null
}

export interface MergeResult {
  pairs: Uint8Array
  /** Keys added minus keys removed. */
  delta: number
}

/**
 * Merges `changes` — sorted by keyHash, no duplicates — into the canonical pair list `pairs`.
 * Deleting an absent key is a no-op, as is writing a value hash that is already there.
 */
export function mergeBucket (pairs: Uint8Array, changes: readonly PairChange[]): MergeResult {
  const out = new Uint8Array(pairs.length + changes.length * PAIR_BYTES)
  const oldCount = pairs.length / PAIR_BYTES
  let i = 0
  let len = 0
  let delta = 0
  for (const change of changes) {
    // Copy the old pairs that sort before this change's key in one block.
    const start = i
    while (i < oldCount && compareHashAt(pairs, i * PAIR_BYTES, change.keyHash, 0) < 0) i++
    out.set(pairs.subarray(start * PAIR_BYTES, i * PAIR_BYTES), len)
    len += (i - start) * PAIR_BYTES
    const present = i < oldCount && compareHashAt(pairs, i * PAIR_BYTES, change.keyHash, 0) === 0
    if (present) i++
    if (change.valueHash === null) {
      if (present) delta--
      continue
    }
    if (!present) delta++
    out.set(change.keyHash, len)
    out.set(change.valueHash, len + HASH_BYTES)
    len += PAIR_BYTES
  }
  out.set(pairs.subarray(i * PAIR_BYTES), len)
  len += pairs.length - i * PAIR_BYTES
  return { pairs: out.slice(0, len), delta }
}
