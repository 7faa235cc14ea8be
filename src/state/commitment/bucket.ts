/**
 * Bucket contents as packed, sorted (keyHash, valueHash) pairs, and the merge of a block's
 * changes into them. Packed arrays keep 1M keys at ~64 MiB with no per-key objects for the
 * garbage collector to walk.
 */
import type { ChangeSet } from './changeSet.js'
import { PAIR_BYTES, compareHashAt } from './layout.js'

export interface MergeResult {
  pairs: Uint8Array
  /** Keys added minus keys removed. */
  delta: number
}

let scratch = new Uint8Array(64 * PAIR_BYTES)

/**
 * Merges the changes `set.order[from .. to)` (all in this bucket, sorted, one per key) into the
 * canonical pair list `pairs`. Deleting an absent key is a no-op, as is rewriting the same value.
 */
export function mergeBucket (pairs: Uint8Array, set: ChangeSet, from: number, to: number): MergeResult {
  // Merge into a reused scratch buffer, then copy out once: every new bucket array outlives the
  // update (cache and ops), so one exact-size allocation is the least garbage.
  const bound = pairs.length + (to - from) * PAIR_BYTES
  if (scratch.length < bound) scratch = new Uint8Array(Math.max(bound, scratch.length * 2))
  const out = scratch
  const { hashes, deleted, order } = set
  const oldCount = pairs.length / PAIR_BYTES
  let i = 0
  let len = 0
  let delta = 0
  for (let c = from; c < to; c++) {
    const change = order[c]
    const at = change * PAIR_BYTES
    // Copy the old pairs that sort before this change's key in one block.
    const start = i
    while (i < oldCount && compareHashAt(pairs, i * PAIR_BYTES, hashes, at) < 0) i++
    if (i > start) {
      out.set(pairs.subarray(start * PAIR_BYTES, i * PAIR_BYTES), len)
      len += (i - start) * PAIR_BYTES
    }
    const present = i < oldCount && compareHashAt(pairs, i * PAIR_BYTES, hashes, at) === 0
    if (present) i++
    if (deleted[change] === 1) {
      if (present) delta--
      continue
    }
    if (!present) delta++
    out.set(hashes.subarray(at, at + PAIR_BYTES), len)
    len += PAIR_BYTES
  }
  if (i < oldCount) {
    out.set(pairs.subarray(i * PAIR_BYTES), len)
    len += pairs.length - i * PAIR_BYTES
  }
  return { pairs: out.slice(0, len), delta }
}
