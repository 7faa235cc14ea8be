/**
 * The state commitment's in-memory copy of bucket contents, kept in groups of 8 neighbouring
 * buckets: one array per group holds the offsets of its buckets and their pairs back to back. A
 * typed array per bucket costs ~500 bytes besides its pairs (its ArrayBuffer, backing store and
 * wrappers) — more than the ~360 bytes of pairs an average bucket holds at 370,000 keys; per group
 * that overhead is paid once for 8 buckets. The price is a copy of the group when one of its
 * buckets changes (docs/state-commitment.md has the measurements).
 *
 * Arrays returned by `get` are views that stay valid and unchanged: a group array is never written
 * after it is built, a change builds a new one. Empty buckets are never cached. Groups are evicted
 * least recently set first.
 */

const GROUP_BITS = 3
const GROUP_SIZE = 1 << GROUP_BITS
/** A group array starts with GROUP_SIZE + 1 offsets (u32 little-endian) into the array: bucket i's
 * pairs are bytes[offset(i)..offset(i + 1)], empty when it is not cached. */
const HEADER_BYTES = 4 * (GROUP_SIZE + 1)
const EMPTY = new Uint8Array(0)

/** The cache group a bucket belongs to. */
export function groupOf (bucket: number): number {
  return bucket >>> GROUP_BITS
}

function offset (group: Uint8Array, i: number): number {
  const at = 4 * i
  return (group[at] | (group[at + 1] << 8) | (group[at + 2] << 16)) + group[at + 3] * 0x1000000
}

function bucketIn (group: Uint8Array, i: number): Uint8Array {
  return group.subarray(offset(group, i), offset(group, i + 1))
}

export class BucketCache {
  /** Insertion-ordered: the first groups are the least recently set. */
  private readonly groups = new Map<number, Uint8Array>()
  private totalBytes = 0
  private buckets = 0

  /** Bytes of cached pairs. */
  get bytes (): number {
    return this.totalBytes
  }

  /** Cached buckets. */
  get size (): number {
    return this.buckets
  }

  get (bucket: number): Uint8Array | undefined {
    const group = this.groups.get(groupOf(bucket))
    if (group === undefined) return undefined
    const pairs = bucketIn(group, bucket & (GROUP_SIZE - 1))
    return pairs.length === 0 ? undefined : pairs
  }

  /**
   * Sets the contents of several buckets (empty pairs: not cached), rebuilding each group they
   * fall in once, and makes those groups the most recently used.
   */
  setMany (entries: Iterable<[bucket: number, pairs: Uint8Array]>): void {
    const byGroup = new Map<number, Array<[number, Uint8Array]>>()
    for (const [bucket, pairs] of entries) {
      const g = groupOf(bucket)
      const list = byGroup.get(g)
      if (list === undefined) byGroup.set(g, [[bucket, pairs]])
      else list.push([bucket, pairs])
    }
    for (const [g, list] of byGroup) this.rebuild(g, list)
  }

  set (bucket: number, pairs: Uint8Array): void {
    this.setMany([[bucket, pairs]])
  }

  /**
   * Drops the least recently set buckets until at most `limit` bytes are cached, never those in
   * `keep`: a group is dropped whole, or rebuilt with only its kept buckets.
   */
  evict (limit: number, keep: ReadonlySet<number>): void {
    if (this.totalBytes <= limit) return
    for (const [g, group] of this.groups) {
      if (this.totalBytes <= limit) return
      const drop: Array<[number, Uint8Array]> = []
      for (let i = 0; i < GROUP_SIZE; i++) {
        const bucket = (g << GROUP_BITS) + i
        if (offset(group, i + 1) > offset(group, i) && !keep.has(bucket)) drop.push([bucket, EMPTY])
      }
      // a rebuilt group moves to the young end, where this loop meets it again with nothing to drop
      if (drop.length > 0) this.rebuild(g, drop)
    }
  }

  private rebuild (g: number, changes: Array<[number, Uint8Array]>): void {
    const old = this.groups.get(g)
    const parts: Uint8Array[] = []
    for (let i = 0; i < GROUP_SIZE; i++) parts.push(old === undefined ? EMPTY : bucketIn(old, i))
    for (const [bucket, pairs] of changes) parts[bucket & (GROUP_SIZE - 1)] = pairs
    if (old !== undefined) {
      this.groups.delete(g)
      this.totalBytes -= old.length - HEADER_BYTES
      this.buckets -= countBuckets(old)
    }
    let size = HEADER_BYTES
    for (const p of parts) size += p.length
    if (size === HEADER_BYTES) return
    // every byte is written below, so the memory need not be zeroed first; a plain Uint8Array over
    // it, so that `slice` of a view copies, as callers expect of a Uint8Array
    const raw = Buffer.allocUnsafeSlow(size)
    const group = new Uint8Array(raw.buffer, raw.byteOffset, size)
    const header = new DataView(group.buffer, group.byteOffset, HEADER_BYTES)
    let at = HEADER_BYTES
    for (let i = 0; i < GROUP_SIZE; i++) {
      header.setUint32(4 * i, at, true)
      group.set(parts[i], at)
      at += parts[i].length
    }
    header.setUint32(4 * GROUP_SIZE, at, true)
    this.groups.set(g, group)
    this.totalBytes += size - HEADER_BYTES
    this.buckets += countBuckets(group)
  }
}

function countBuckets (group: Uint8Array): number {
  let n = 0
  for (let i = 0; i < GROUP_SIZE; i++) if (offset(group, i + 1) > offset(group, i)) n++
  return n
}
