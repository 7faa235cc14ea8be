/**
 * The parts under the state commitment: the packed change set (grouping, last write wins, growth
 * past its initial capacity), the bucket merge, and the in-memory tree levels against a naive fold.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { mergeBucket } from '../../../src/state/commitment/bucket.js'
import { ChangeSet } from '../../../src/state/commitment/changeSet.js'
import { EMPTY_SUBTREE, PAIR_BYTES, isCanonicalBucket } from '../../../src/state/commitment/layout.js'
import { TreeLevels } from '../../../src/state/commitment/treeLevels.js'
import { StateCommitment } from '../../../src/state/commitment/index.js'
import { MemoryStore } from '../../../src/state/store.js'
import { enc, hex, referenceRoot } from './commitment.helpers.js'

const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest())

describe('state commitment: parts', () => {
  it('groups changes by bucket in keyHash order and keeps the last write of a key', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `k${i % 2500}`)
    const set = ChangeSet.collect(keys.map((k, i) => [enc(k), i % 7 === 0 ? null : enc(`v${i}`)]))
    expect(set.order.length).to.equal(2500)
    expect(set.starts[set.starts.length - 1]).to.equal(2500)
    for (let t = 0; t < set.buckets.length; t++) {
      if (t > 0) expect(set.buckets[t]).to.be.greaterThan(set.buckets[t - 1])
      for (let c = set.starts[t]; c < set.starts[t + 1]; c++) {
        const at = set.order[c] * PAIR_BYTES
        expect((set.hashes[at] << 8) | set.hashes[at + 1]).to.equal(set.buckets[t])
      }
    }
    // Keys 0..499 were written twice; the surviving index is the later one (≥ 2500).
    const kept = new Set(Array.from(set.order))
    for (let i = 0; i < 500; i++) {
      expect(kept.has(i)).to.equal(false)
      expect(kept.has(i + 2500)).to.equal(true)
    }
  })

  it('commits thousands of changes in one update to the reference root', async () => {
    const entries: Array<[string, string]> = Array.from({ length: 3000 }, (_, i) => [`acct/${i}`, `${i * 31}`])
    const sc = await StateCommitment.open(new MemoryStore(), enc('sc/'))
    const { root } = await sc.update(entries.map(([k, v]) => [enc(k), enc(v)]))
    expect(hex(root)).to.equal(hex(referenceRoot(new Map(entries))))
  })

  it('merges into a canonical bucket with the right key count (property)', () => {
    // Keys forced into bucket 0x0000 by overwriting the first two bytes of their hash.
    const pair = (id: number, v: number): Uint8Array => {
      const p = new Uint8Array(PAIR_BYTES)
      p.set(sha(Uint8Array.of(id)), 0)
      p[0] = 0
      p[1] = 0
      p.set(sha(Uint8Array.of(v)), 32)
      return p
    }
    fc.assert(fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 20 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.option(fc.integer({ min: 0, max: 3 }), { nil: null })), { maxLength: 20 }),
      (present, edits) => {
        const model = new Map<number, number>(present.map(id => [id, 9]))
        const sortPairs = (ps: Uint8Array[]): Uint8Array => {
          ps.sort((a, b) => Buffer.compare(a.subarray(0, 32), b.subarray(0, 32)))
          return Uint8Array.from(ps.flatMap(p => [...p]))
        }
        const old = sortPairs(present.map(id => pair(id, 9)))
        // Build a ChangeSet whose hashes sit in bucket 0 by collecting and then patching them.
        const set = ChangeSet.collect(edits.map(([id, v]) => [Uint8Array.of(id), v === null ? null : Uint8Array.of(v)]))
        for (let i = 0; i * PAIR_BYTES < set.hashes.length; i++) {
          set.hashes[i * PAIR_BYTES] = 0
          set.hashes[i * PAIR_BYTES + 1] = 0
        }
        const order = Array.from(set.order).sort((a, b) =>
          Buffer.compare(set.hashes.subarray(a * 64, a * 64 + 32), set.hashes.subarray(b * 64, b * 64 + 32)))
        set.order.set(order)
        for (const [id, v] of edits) {
          if (v === null) model.delete(id)
          else model.set(id, v)
        }
        const { pairs, delta } = mergeBucket(old, set, 0, set.order.length)
        expect(isCanonicalBucket(0, pairs)).to.equal(true)
        expect(delta).to.equal(model.size - present.length)
        expect(hex(pairs)).to.equal(hex(sortPairs([...model].map(([id, v]) => pair(id, v)))))
      }
    ), { numRuns: 200, seed: 3 })
  })

  it('folds tree levels like a naive Merkle tree and reports the path siblings', () => {
    const tree = new TreeLevels()
    expect(hex(tree.root())).to.equal(hex(EMPTY_SUBTREE[16]))
    const changed = [0, 1, 777, 40000, 65535]
    for (const b of changed) tree.setLeaf(b, sha(Uint8Array.of(b & 0xff, b >> 8)))
    tree.recompute(changed)
    let level: Uint8Array[] = Array.from({ length: 65536 }, (_, b) => changed.includes(b) ? sha(Uint8Array.of(b & 0xff, b >> 8)) : EMPTY_SUBTREE[0])
    const path: Uint8Array[] = []
    let index = 777
    while (level.length > 1) {
      path.push(level[index ^ 1])
      index >>= 1
      const next: Uint8Array[] = []
      for (let i = 0; i < level.length; i += 2) {
        next.push(new Uint8Array(createHash('sha256').update(Uint8Array.of(1)).update(level[i]).update(level[i + 1]).digest()))
      }
      level = next
    }
    expect(hex(tree.root())).to.equal(hex(level[0]))
    expect(tree.siblings(777).map(hex)).to.deep.equal(path.map(hex))
  })
})
