/**
 * The committed state root (MISSION.md §4): a bucketed Merkle tree over every state key, updated
 * once per block over the block's dirty keys. The 16 tree levels (~4 MiB) live in memory; each
 * non-empty bucket is one record `prefix || u16be(bucket)` in the injected store, and hot buckets
 * are cached in memory as packed pairs. Design and measurements: docs/state-commitment.md.
 */
import { sha256 } from '../../crypto/index.js'
import type { BatchOp, KVStore } from '../store.js'
import { mergeBucket } from './bucket.js'
import { ChangeSet } from './changeSet.js'
import { TreeLevels } from './treeLevels.js'
import { BucketCache, groupOf } from './bucketCache.js'
import { StateCommitmentError } from './errors.js'
import {
  BUCKET_COUNT, EMPTY_BUCKET_HASH, PAIR_BYTES, bucketOfKeyHash, equalBytes, hashBucket, isCanonicalBucket
} from './layout.js'
import type { StateProof } from './proof.js'

export interface StateCommitmentOptions {
  /**
   * Bytes of bucket contents kept in memory (64 per key). Buckets beyond it are evicted, oldest
   * first, and read back with one `getMany` per update. Default 256 MiB, about 4M keys.
   */
  cacheBytes?: number
}

export interface StateCommitmentStats {
  keys: number
  nonEmptyBuckets: number
  cachedBuckets: number
  cachedBytes: number
}

const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
const EMPTY_PAIRS = new Uint8Array(0)

/**
 * Contract with the caller: `update` changes the in-memory structure at once and returns the ops
 * that persist it; the caller writes them (in the same atomic batch as the block) before the next
 * `update`. If that write fails, the in-memory tree is ahead of the store: the caller must treat
 * it as fatal, drop this instance and `open` again from the store. Bucket records read later are
 * checked against the in-memory leaves, so a missed write surfaces as `CORRUPT_STORE`, never as a
 * wrong root.
 */
export class StateCommitment {
  private readonly tree = new TreeLevels()
  private readonly counts = new Uint32Array(BUCKET_COUNT)
  /** Bucket contents, in groups of neighbouring buckets (bucketCache.ts says why). */
  private readonly cache = new BucketCache()
  /** Buckets written by the latest update: their ops may not be in the store yet. */
  private pinned = new Set<number>()
  private keyCount = 0
  private nonEmpty = 0
  private tail: Promise<unknown> = Promise.resolve()

  private constructor (
    private readonly store: KVStore,
    private readonly prefix: Uint8Array,
    private readonly cacheLimit: number
  ) {}

  /** Loads every persisted bucket under `prefix`, checks it, and builds the tree levels. */
  static async open (store: KVStore, prefix: Uint8Array, options: StateCommitmentOptions = {}): Promise<StateCommitment> {
    if (!(prefix instanceof Uint8Array) || prefix.length === 0) {
      throw new StateCommitmentError('INVALID_PREFIX', 'the state commitment needs a non-empty key prefix')
    }
    const commitment = new StateCommitment(store, Uint8Array.from(prefix), options.cacheBytes ?? DEFAULT_CACHE_BYTES)
    await commitment.load()
    return commitment
  }

  root (): Uint8Array {
    return this.tree.root()
  }

  size (): number {
    return this.keyCount
  }

  stats (): StateCommitmentStats {
    return { keys: this.keyCount, nonEmptyBuckets: this.nonEmpty, cachedBuckets: this.cache.size, cachedBytes: this.cache.bytes }
  }

  /**
   * Applies `changes` (value null = delete; a key given twice keeps its last value) and returns the
   * new root with the ops, under `prefix`, that persist it. Updates run one at a time.
   */
  async update (changes: Iterable<[key: Uint8Array, value: Uint8Array | null]>): Promise<{ root: Uint8Array, ops: BatchOp[] }> {
    const run = this.tail.then(async () => await this.applyChanges(changes))
    this.tail = run.catch(() => {})
    return await run
  }

  async prove (key: Uint8Array): Promise<StateProof> {
    const bucket = bucketOfKeyHash(sha256(key))
    let pairs = this.counts[bucket] === 0 ? EMPTY_PAIRS : this.cache.get(bucket)
    if (pairs === undefined) {
      const [record] = await this.store.getMany([this.recordKey(bucket)])
      // An update may have run while the store was read; the cache then holds the newer content.
      pairs = this.counts[bucket] === 0 ? EMPTY_PAIRS : this.cache.get(bucket) ?? this.checkRecord(bucket, record)
      this.cache.set(bucket, pairs)
      this.evict()
    }
    return { bucket, pairs: pairs.slice(), siblings: this.tree.siblings(bucket) }
  }

  private async load (): Promise<void> {
    const gte = this.recordKey(0)
    const lte = this.recordKey(BUCKET_COUNT - 1)
    const loaded: number[] = []
    // buckets come in order: each group of the cache is built once, from its buckets' records
    let pending: Array<[number, Uint8Array]> = []
    let pendingBytes = 0
    for await (const [key, value] of this.store.iterate({ gte, lte })) {
      if (key.length !== this.prefix.length + 2) {
        throw new StateCommitmentError('CORRUPT_STORE', 'unexpected key under the state commitment prefix', { length: key.length })
      }
      const bucket = (key[key.length - 2] << 8) | key[key.length - 1]
      if (value.length === 0 || !isCanonicalBucket(bucket, value)) {
        throw new StateCommitmentError('CORRUPT_STORE', `bucket record ${bucket} is not a canonical pair list`, { bucket })
      }
      this.counts[bucket] = value.length / PAIR_BYTES
      this.keyCount += this.counts[bucket]
      this.nonEmpty++
      this.tree.setLeaf(bucket, hashBucket(value))
      // the cache copies the value into its group, so it never pins a buffer the store sliced it from
      if (this.cache.bytes + pendingBytes + value.length <= this.cacheLimit) {
        if (pending.length > 0 && groupOf(pending[0][0]) !== groupOf(bucket)) {
          this.cache.setMany(pending)
          pending = []
          pendingBytes = 0
        }
        pending.push([bucket, value])
        pendingBytes += value.length
      }
      loaded.push(bucket)
    }
    this.cache.setMany(pending)
    this.tree.recompute(loaded)
  }

  private async applyChanges (changes: Iterable<[key: Uint8Array, value: Uint8Array | null]>): Promise<{ root: Uint8Array, ops: BatchOp[] }> {
    const set = ChangeSet.collect(changes)
    const touched = set.buckets
    // Hold the current contents by reference: a concurrent prove may evict them from the cache
    // while the store is read, and cached arrays are never mutated in place.
    const current = new Map<number, Uint8Array>()
    const missing: number[] = []
    for (const bucket of touched) {
      const pairs = this.counts[bucket] === 0 ? EMPTY_PAIRS : this.cache.get(bucket)
      if (pairs === undefined) missing.push(bucket)
      else current.set(bucket, pairs)
    }
    for (const [bucket, pairs] of await this.loadBuckets(missing)) current.set(bucket, pairs)

    // From here on nothing awaits or throws: the in-memory structure moves to the new state whole.
    const ops: BatchOp[] = []
    const changedLeaves: number[] = []
    this.pinned = new Set()
    const merged: Array<[number, Uint8Array]> = []
    for (let t = 0; t < touched.length; t++) {
      const bucket = touched[t]
      const { pairs, delta } = mergeBucket(current.get(bucket) as Uint8Array, set, set.starts[t], set.starts[t + 1])
      const count = pairs.length / PAIR_BYTES
      const leaf = count === 0 ? EMPTY_BUCKET_HASH : hashBucket(pairs)
      merged.push([bucket, pairs])
      this.pinned.add(bucket)
      if (equalBytes(leaf, this.tree.leaf(bucket))) continue
      if (this.counts[bucket] === 0) this.nonEmpty++
      else if (count === 0) this.nonEmpty--
      this.counts[bucket] = count
      this.keyCount += delta
      this.tree.setLeaf(bucket, leaf)
      changedLeaves.push(bucket)
      ops.push(count === 0 ? { type: 'del', key: this.recordKey(bucket) } : { type: 'put', key: this.recordKey(bucket), value: pairs })
    }
    this.cache.setMany(merged)
    this.tree.recompute(changedLeaves)
    this.evict()
    return { root: this.root(), ops }
  }

  /** Reads the given (uncached, non-empty) buckets with one getMany and checks each against its leaf. */
  private async loadBuckets (buckets: number[]): Promise<Map<number, Uint8Array>> {
    const loaded = new Map<number, Uint8Array>()
    if (buckets.length === 0) return loaded
    const records = await this.store.getMany(buckets.map(b => this.recordKey(b)))
    for (let i = 0; i < buckets.length; i++) loaded.set(buckets[i], this.checkRecord(buckets[i], records[i]))
    return loaded
  }

  private checkRecord (bucket: number, record: Uint8Array | undefined): Uint8Array {
    if (record === undefined || !isCanonicalBucket(bucket, record) || !equalBytes(hashBucket(record), this.tree.leaf(bucket))) {
      throw new StateCommitmentError('CORRUPT_STORE', `bucket record ${bucket} does not match the committed tree; reopen from the store`, { bucket })
    }
    return Uint8Array.from(record)
  }

  /** Drops the least recently used buckets over the limit, never those of the latest update. */
  private evict (): void {
    this.cache.evict(this.cacheLimit, this.pinned)
  }

  private recordKey (bucket: number): Uint8Array {
    const key = new Uint8Array(this.prefix.length + 2)
    key.set(this.prefix)
    key[this.prefix.length] = bucket >>> 8
    key[this.prefix.length + 1] = bucket & 0xff
    return key
  }
}
