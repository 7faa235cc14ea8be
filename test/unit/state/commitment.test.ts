/**
 * The state commitment's root and its persistence: roots checked against a naive reference,
 * independence from insertion order and history, deletes back to empty, reopening from
 * MemoryStore and LevelStore, the bucket cache, and detection of a store left behind.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EMPTY_STATE_ROOT, StateCommitment, StateCommitmentError } from '../../../src/state/commitment/index.js'
import { LevelStore, MemoryStore } from '../../../src/state/store.js'
import type { KVStore } from '../../../src/state/store.js'
import { bucketOf, collidingKeys, enc, hex, referenceRoot } from './commitment.helpers.js'

const PREFIX = enc('sc/')

type Change = [string, string | null]

function bytes (changes: Change[]): Array<[Uint8Array, Uint8Array | null]> {
  return changes.map(([k, v]) => [enc(k), v === null ? null : enc(v)])
}

/** Applies `changes` and writes the returned ops, as the node does at block end. */
async function commit (sc: StateCommitment, store: KVStore, changes: Change[]): Promise<Uint8Array> {
  const { root, ops } = await sc.update(bytes(changes))
  await store.batch(ops)
  return root
}

async function expectCode (promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise
  } catch (err) {
    expect(err).to.be.instanceOf(StateCommitmentError)
    expect((err as StateCommitmentError).code).to.equal(code)
    return
  }
  expect.fail(`expected ${code}`)
}

describe('state commitment: roots', () => {
  it('has the reference root for the empty state', async () => {
    expect(hex(EMPTY_STATE_ROOT)).to.equal(hex(referenceRoot(new Map())))
    // Consensus constant (docs/state-commitment.md): a change here is a change of protocol.
    expect(hex(EMPTY_STATE_ROOT)).to.equal('931334b00c22a664f8082bc93d3ddb8d798a34a6f47d84b55802b5712c90c5d7')
    const sc = await StateCommitment.open(new MemoryStore(), PREFIX)
    expect(hex(sc.root())).to.equal(hex(EMPTY_STATE_ROOT))
    expect(sc.size()).to.equal(0)
  })

  it('matches the reference for small known states, including a shared bucket', async () => {
    const [x, y, z] = collidingKeys('key-')
    const states: Array<Array<[string, string]>> = [
      [['alice', '100']],
      [['alice', '100'], ['bob', '']],
      [[x, 'one'], [y, 'two'], [z, 'three'], ['carol', 'c']]
    ]
    for (const entries of states) {
      const sc = await StateCommitment.open(new MemoryStore(), PREFIX)
      const { root } = await sc.update(bytes(entries))
      expect(hex(root)).to.equal(hex(referenceRoot(new Map(entries))))
      expect(sc.size()).to.equal(entries.length)
    }
  })

  it('keeps the last value of a key given twice in one update', async () => {
    const sc = await StateCommitment.open(new MemoryStore(), PREFIX)
    const { root } = await sc.update(bytes([['k', 'a'], ['j', 'x'], ['k', 'b'], ['j', null]]))
    expect(hex(root)).to.equal(hex(referenceRoot(new Map([['k', 'b']]))))
    expect(sc.size()).to.equal(1)
  })

  it('returns to EMPTY_STATE_ROOT when every key is deleted, and deletes the records', async () => {
    const store = new MemoryStore()
    const sc = await StateCommitment.open(store, PREFIX)
    const keys = [...collidingKeys('gone-'), 'a', 'b', 'c']
    await commit(sc, store, keys.map(k => [k, 'v']))
    expect(store.size).to.be.greaterThan(0)
    const root = await commit(sc, store, keys.map(k => [k, null]))
    expect(hex(root)).to.equal(hex(EMPTY_STATE_ROOT))
    expect(sc.size()).to.equal(0)
    expect(store.size).to.equal(0)
  })

  it('emits no op and keeps the root when nothing really changes', async () => {
    const store = new MemoryStore()
    const sc = await StateCommitment.open(store, PREFIX)
    const root = await commit(sc, store, [['a', '1']])
    const again = await sc.update(bytes([['a', '1'], ['missing', null]]))
    expect(again.ops).to.deep.equal([])
    expect(hex(again.root)).to.equal(hex(root))
  })

  it('depends only on the final map, not on order or history (property)', async () => {
    const keys = ['a', 'b', 'c', 'd', ...collidingKeys('p-')]
    const change = fc.tuple(fc.constantFrom(...keys), fc.option(fc.constantFrom('0', '1', ''), { nil: null }))
    await fc.assert(fc.asyncProperty(
      fc.array(fc.array(change, { maxLength: 8 }), { maxLength: 6 }),
      async (blocks) => {
        const store = new MemoryStore()
        const sc = await StateCommitment.open(store, PREFIX)
        const final = new Map<string, string>()
        for (const block of blocks) {
          await commit(sc, store, block as Change[])
          for (const [k, v] of block) {
            if (v === null) final.delete(k)
            else final.set(k, v)
          }
        }
        // The same map built in one step, in reverse key order, on a fresh instance.
        const fresh = await StateCommitment.open(new MemoryStore(), PREFIX)
        const { root } = await fresh.update(bytes([...final].reverse()))
        expect(hex(sc.root())).to.equal(hex(root))
        expect(sc.size()).to.equal(final.size)
        const reopened = await StateCommitment.open(store, PREFIX)
        expect(hex(reopened.root())).to.equal(hex(root))
        expect(reopened.size()).to.equal(final.size)
      }
    ), { numRuns: 60, seed: 20240501 })
  })

  it('serialises concurrent updates in call order', async () => {
    const sc = await StateCommitment.open(new MemoryStore(), PREFIX)
    const first = sc.update(bytes([['a', '1'], ['b', '2']]))
    const second = sc.update(bytes([['a', null], ['c', '3']]))
    const [r1, r2] = await Promise.all([first, second])
    expect(hex(r1.root)).to.equal(hex(referenceRoot(new Map([['a', '1'], ['b', '2']]))))
    expect(hex(r2.root)).to.equal(hex(referenceRoot(new Map([['b', '2'], ['c', '3']]))))
  })
})

describe('state commitment: persistence', () => {
  const entries: Change[] = Array.from({ length: 300 }, (_, i) => [`acct/${i}`, `balance ${i * 7}`])

  async function roundTrip (store: KVStore): Promise<void> {
    const sc = await StateCommitment.open(store, PREFIX)
    await commit(sc, store, entries)
    const root = await commit(sc, store, [['acct/3', null], ['acct/4', 'changed'], ['new', 'x']])
    const reopened = await StateCommitment.open(store, PREFIX)
    expect(hex(reopened.root())).to.equal(hex(root))
    expect(reopened.size()).to.equal(300)
    const expected = new Map(entries as Array<[string, string]>)
    expected.delete('acct/3')
    expected.set('acct/4', 'changed')
    expected.set('new', 'x')
    expect(hex(root)).to.equal(hex(referenceRoot(expected)))
    // The reopened instance keeps committing where the first left off.
    const next = await commit(reopened, store, [['acct/5', null]])
    expected.delete('acct/5')
    expect(hex(next)).to.equal(hex(referenceRoot(expected)))
  }

  it('reopens to the same root from a MemoryStore', async () => {
    await roundTrip(new MemoryStore())
  })

  it('reopens to the same root from a LevelStore', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'folio-commitment-'))
    try {
      const store = await LevelStore.open(dir)
      try {
        await roundTrip(store)
      } finally {
        await store.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('ignores other prefixes in the same store', async () => {
    const store = new MemoryStore()
    await store.batch([{ type: 'put', key: enc('sb/zz'), value: enc('other') }, { type: 'put', key: enc('sd'), value: enc('x') }])
    const sc = await StateCommitment.open(store, PREFIX)
    const root = await commit(sc, store, [['a', '1']])
    expect(hex((await StateCommitment.open(store, PREFIX)).root())).to.equal(hex(root))
  })

  it('gives the same roots with a tiny bucket cache, reading buckets back from the store', async () => {
    const small = new MemoryStore()
    const big = new MemoryStore()
    const a = await StateCommitment.open(small, PREFIX, { cacheBytes: 64 * 4 })
    const b = await StateCommitment.open(big, PREFIX)
    await commit(a, small, entries)
    await commit(b, big, entries)
    for (let round = 0; round < 5; round++) {
      const changes: Change[] = entries.filter((_, i) => i % 5 === round).map(([k]) => [k, round % 2 === 0 ? null : `r${round}`])
      expect(hex(await commit(a, small, changes))).to.equal(hex(await commit(b, big, changes)))
      // Only the buckets of the latest update may stay above the limit.
      expect(a.stats().cachedBuckets).to.be.at.most(changes.length)
    }
    expect(a.size()).to.equal(b.size())
  })

  it('reports CORRUPT_STORE when the ops of an update were never written', async () => {
    const store = new MemoryStore()
    const sc = await StateCommitment.open(store, PREFIX, { cacheBytes: 0 })
    await commit(sc, store, [['a', '1'], ['b', '2']])
    await sc.update(bytes([['a', '9']])) // ops dropped: the store is now behind
    const other = ['c', 'd', 'e', 'f'].find(k => bucketOf(enc(k)) !== bucketOf(enc('a'))) as string
    await commit(sc, store, [[other, '3']]) // evicts a's bucket
    await expectCode(sc.prove(enc('a')), 'CORRUPT_STORE')
    await expectCode(sc.update(bytes([['a', '10']])), 'CORRUPT_STORE')
  })

  it('refuses a malformed bucket record on open', async () => {
    const store = new MemoryStore()
    await store.batch([{ type: 'put', key: Uint8Array.of(...PREFIX, 0, 1), value: new Uint8Array(63) }])
    await expectCode(StateCommitment.open(store, PREFIX), 'CORRUPT_STORE')
    const wrongBucket = new MemoryStore()
    await wrongBucket.batch([{ type: 'put', key: Uint8Array.of(...PREFIX, 0, 1), value: new Uint8Array(64) }])
    await expectCode(StateCommitment.open(wrongBucket, PREFIX), 'CORRUPT_STORE')
  })

  it('refuses an empty prefix', async () => {
    await expectCode(StateCommitment.open(new MemoryStore(), new Uint8Array(0)), 'INVALID_PREFIX')
  })
})
