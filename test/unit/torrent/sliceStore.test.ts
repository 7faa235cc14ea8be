/**
 * The slice store over a real LevelDB and data folder in a temp dir: storing and serving verified
 * slices, persistence across reopen, forged and torn slices, and the eviction policy
 * (least recently used first, never own or pinned cards) under an injected clock.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync, existsSync, openSync, writeSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes, sha256 } from '../../../src/crypto/index.js'
import { LevelStore } from '../../../src/state/store.js'
import { SliceStore, type CardContent } from '../../../src/torrent/sliceStore.js'
import { commitContent, type PublishedSlice } from '../../../src/torrent/publish.js'
import { SwarmError } from '../../../src/torrent/errors.js'
import { MIN_SLICE_SIZE } from '../../../src/torrent/layout.js'
import { fullBitfield } from '../../../src/torrent/bitfield.js'
import { contentRoot } from '../../../src/torrent/merkle.js'

interface TestCard { id: Uint8Array, content: CardContent, leaves: Uint8Array[], slices: PublishedSlice[] }

async function makeCard (name: string, slices: number, encrypted = true): Promise<TestCard> {
  const data = randomBytes(MIN_SLICE_SIZE * (slices - 1) + 1000)
  const out: PublishedSlice[] = []
  async function * src (): AsyncGenerator<Uint8Array> { yield data }
  const card = await commitContent(src(), encrypted ? randomBytes(32) : null, MIN_SLICE_SIZE, s => { out.push(s) })
  const content: CardContent = { size: card.size, sliceSize: card.sliceSize, sliceCount: card.sliceCount, contentRoot: card.contentRoot, encrypted }
  return { id: sha256(new TextEncoder().encode(name)), content, leaves: card.leafHashes, slices: out }
}

async function putAll (store: SliceStore, c: TestCard): Promise<void> {
  for (const s of c.slices) await store.put(c.id, s.index, s.ciphertext)
}

async function codeOf (p: Promise<unknown>): Promise<string> {
  try { await p } catch (err) {
    expect(err).to.be.instanceOf(SwarmError)
    return (err as SwarmError).code
  }
  throw new Error('expected a SwarmError')
}

describe('torrent/sliceStore', () => {
  let dir: string
  let kv: LevelStore
  let store: SliceStore | undefined
  let clock = 0
  const now = (): number => clock

  const openStore = async (budgetBytes: number): Promise<SliceStore> => {
    store = await SliceStore.open({ dir: join(dir, 'slices'), kv, budgetBytes, now })
    return store
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'folio-slices-'))
    kv = await LevelStore.open(join(dir, 'db'))
    clock = 1000
  })

  afterEach(async () => {
    await store?.close()
    store = undefined
    await kv.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('stores, serves and survives a reopen', async () => {
    const c = await makeCard('a', 5)
    let s = await openStore(10 * 1024 * 1024)
    await s.addCard(c.id, c.content, c.leaves, { own: true })
    await s.put(c.id, 4, c.slices[4]!.ciphertext)
    await s.put(c.id, 1, c.slices[1]!.ciphertext)
    expect(s.has(c.id, 1)).to.equal(true)
    expect(s.has(c.id, 0)).to.equal(false)
    expect([...s.bitfield(c.id)!]).to.deep.equal([0b01001000])
    expect(await s.get(c.id, 4)).to.deep.equal(c.slices[4]!.ciphertext)
    expect(await s.get(c.id, 0)).to.equal(undefined)
    expect(s.stats()).to.include({ cards: 1, slices: 2, usedBytes: (MIN_SLICE_SIZE + 16) + (1000 + 16), protectedBytes: 2 * 16 + MIN_SLICE_SIZE + 1000 })
    await s.close()
    s = await openStore(10 * 1024 * 1024)
    expect([...s.bitfield(c.id)!]).to.deep.equal([0b01001000])
    expect(await s.leafHashes(c.id)).to.deep.equal(c.leaves)
    expect(await s.get(c.id, 1)).to.deep.equal(c.slices[1]!.ciphertext)
    expect(s.cardContent(c.id)).to.deep.include({ own: true, pinned: false, sliceCount: 5 })
    expect(s.stats().usedBytes).to.equal(MIN_SLICE_SIZE + 1000 + 32)
  })

  it('refuses slice reads and writes once closed, opening no file', async () => {
    const c = await makeCard('closed', 3)
    const s = await openStore(10 * 1024 * 1024)
    await s.addCard(c.id, c.content, c.leaves, { own: true })
    await s.put(c.id, 0, c.slices[0]!.ciphertext)
    await s.close()
    expect(await codeOf(s.get(c.id, 0))).to.equal('STORE_IO')
    expect(await codeOf(s.put(c.id, 1, c.slices[1]!.ciphertext))).to.equal('STORE_IO')
    expect((s as unknown as { handles: Map<string, unknown> }).handles.size).to.equal(0)
    await s.close()
  })

  it('keeps bitfield pages apart for large cards', async () => {
    // 8200 identical zero slices: two bitfield pages, and any slice is a valid slice of the card.
    const sliceCount = 8200
    const zero = new Uint8Array(MIN_SLICE_SIZE)
    const leaves = Array.from({ length: sliceCount }, () => sha256(zero))
    const content: CardContent = { size: sliceCount * MIN_SLICE_SIZE, sliceSize: MIN_SLICE_SIZE, sliceCount, contentRoot: contentRoot(leaves), encrypted: false }
    const id = sha256(Uint8Array.of(9))
    let s = await openStore(1e9)
    await s.addCard(id, content, leaves)
    for (const i of [1, 8191, 8192, 8199]) await s.put(id, i, zero)
    await s.close()
    s = await openStore(1e9)
    const bits = s.bitfield(id)!
    expect(bits.length).to.equal(1025)
    expect([0, 1, 8190, 8191, 8192, 8193, 8199].map(i => s.has(id, i))).to.deep.equal([false, true, false, true, true, false, true])
    expect(s.stats()).to.include({ slices: 4, usedBytes: 4 * MIN_SLICE_SIZE })
    expect(await s.get(id, 8192)).to.deep.equal(zero)
  })

  it('refuses forged slices and leaf layers, and unknown cards', async () => {
    const c = await makeCard('b', 3)
    const s = await openStore(1e9)
    const badLeaves = c.leaves.map(h => Uint8Array.from(h))
    badLeaves[0]![0]! ^= 1
    expect(await codeOf(s.addCard(c.id, c.content, badLeaves))).to.equal('LEAVES_MISMATCH')
    expect(await codeOf(s.put(c.id, 0, c.slices[0]!.ciphertext))).to.equal('UNKNOWN_CARD')
    await s.addCard(c.id, c.content, c.leaves)
    const forged = Uint8Array.from(c.slices[0]!.ciphertext)
    forged[5]! ^= 1
    expect(await codeOf(s.put(c.id, 0, forged))).to.equal('SLICE_MISMATCH')
    expect(await codeOf(s.put(c.id, 1, c.slices[0]!.ciphertext))).to.equal('SLICE_MISMATCH')
    expect(await codeOf(s.put(c.id, 3, c.slices[0]!.ciphertext))).to.equal('INDEX_OUT_OF_RANGE')
    expect(s.has(c.id, 0)).to.equal(false)
    expect(s.stats().usedBytes).to.equal(0)
  })

  it('detects a torn write on the first read after a restart and unindexes the slice', async () => {
    const c = await makeCard('c', 3)
    const first = await openStore(1e9)
    await first.addCard(c.id, c.content, c.leaves)
    await putAll(first, c)
    await first.close()
    // What a crash mid-write (or a lost page cache) leaves behind: the index says present, bytes are wrong.
    const fd = openSync(join(dir, 'slices', `${Buffer.from(c.id).toString('hex')}.slices`), 'r+')
    writeSync(fd, new Uint8Array(100), 0, 100, (MIN_SLICE_SIZE + 16) + 50)
    closeSync(fd)
    const s = await openStore(1e9)
    expect(await s.get(c.id, 1)).to.equal(undefined)
    expect(s.has(c.id, 1)).to.equal(false)
    expect(s.stats()).to.include({ tornSlices: 1, slices: 2 })
    expect(await s.get(c.id, 0)).to.deep.equal(c.slices[0]!.ciphertext)
    await s.put(c.id, 1, c.slices[1]!.ciphertext)
    expect(await s.get(c.id, 1)).to.deep.equal(c.slices[1]!.ciphertext)
  })

  it('hashes a slice once per process: verified puts and later reads skip the leaf check', async () => {
    const c = await makeCard('v', 3)
    const s = await openStore(1e9)
    await s.addCard(c.id, c.content, c.leaves)
    await s.put(c.id, 0, c.slices[0]!.ciphertext, { verified: true })
    expect(await s.get(c.id, 0)).to.deep.equal(c.slices[0]!.ciphertext)
    // Without the caller's word, a forged slice is still refused.
    const forged = Uint8Array.from(c.slices[1]!.ciphertext)
    forged[0]! ^= 1
    expect(await codeOf(s.put(c.id, 1, forged))).to.equal('SLICE_MISMATCH')
    // A slice written by this process and changed on disk afterwards is served with its length
    // checked only (the receiver's leaf check catches it); after a restart it is hashed again.
    await s.put(c.id, 1, c.slices[1]!.ciphertext)
    const fd = openSync(join(dir, 'slices', `${Buffer.from(c.id).toString('hex')}.slices`), 'r+')
    writeSync(fd, new Uint8Array(10), 0, 10, (MIN_SLICE_SIZE + 16) + 5)
    closeSync(fd)
    expect(await s.get(c.id, 1)).to.not.equal(undefined)
    await s.close()
    const again = await openStore(1e9)
    expect(await again.get(c.id, 1)).to.equal(undefined)
    expect(await again.get(c.id, 0)).to.deep.equal(c.slices[0]!.ciphertext)
  })

  it('evicts least recently used cards first, never own or pinned ones', async () => {
    const cardBytes = 2 * (MIN_SLICE_SIZE + 16) + 1016
    const [own, pinned, old, fresh, next] = await Promise.all(['own', 'pinned', 'old', 'fresh', 'next'].map(async n => await makeCard(n, 3)))
    const s = await openStore(4 * cardBytes)
    await s.addCard(own!.id, own!.content, own!.leaves, { own: true })
    await s.addCard(pinned!.id, pinned!.content, pinned!.leaves, { pinned: true })
    for (const c of [own!, pinned!, old!, fresh!]) {
      if (c !== own && c !== pinned) await s.addCard(c.id, c.content, c.leaves)
      await putAll(s, c)
      clock += 10
    }
    expect(s.stats().usedBytes).to.equal(4 * cardBytes)
    // Serving `old` makes it the most recently used: `fresh` becomes the victim.
    await s.get(old!.id, 0)
    clock += 10
    await s.addCard(next!.id, next!.content, next!.leaves)
    await putAll(s, next!)
    expect(s.cardContent(fresh!.id)).to.equal(undefined)
    expect(s.has(old!.id, 0)).to.equal(true)
    expect(s.stats()).to.include({ usedBytes: 4 * cardBytes, evictedCards: 1, cards: 4 })
    expect(existsSync(join(dir, 'slices', `${Buffer.from(fresh!.id).toString('hex')}.slices`))).to.equal(false)
    // Shrink the room: with only protected cards left to hold, an unprotected put is refused.
    await s.setPinned(old!.id, true)
    await s.setPinned(next!.id, true)
    await s.addCard(fresh!.id, fresh!.content, fresh!.leaves)
    expect(await codeOf(s.put(fresh!.id, 0, fresh!.slices[0]!.ciphertext))).to.equal('OVER_BUDGET')
    // The user's own content is always accepted, past the budget.
    await s.setPinned(fresh!.id, true)
    await putAll(s, fresh!)
    expect(s.stats().usedBytes).to.equal(5 * cardBytes)
    expect(s.stats().protectedBytes).to.equal(5 * cardBytes)
    expect(await s.evictIfNeeded()).to.deep.equal([])
  })

  it('keeps last use across a reopen and evicts by it', async () => {
    const cardBytes = 2 * (MIN_SLICE_SIZE + 16) + 1016
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async n => await makeCard(n, 3)))
    let s = await openStore(2 * cardBytes)
    for (const card of [a!, b!]) { await s.addCard(card.id, card.content, card.leaves); await putAll(s, card); clock += 10 }
    await s.get(a!.id, 2)
    clock += 10
    await s.close()
    s = await openStore(2 * cardBytes)
    await s.addCard(c!.id, c!.content, c!.leaves)
    await putAll(s, c!)
    expect(s.cardContent(b!.id)).to.equal(undefined)
    expect(s.cardContent(a!.id)).to.not.equal(undefined)
  })

  it('sweeps slice files that have no index entry, and ignores bytes written but never indexed', async () => {
    const c = await makeCard('d', 2, false)
    let s = await openStore(1e9)
    await s.addCard(c.id, c.content, c.leaves)
    await s.close()
    // A slice written to disk without its index entry (crash between the two) is not visible.
    const path = join(dir, 'slices', `${Buffer.from(c.id).toString('hex')}.slices`)
    writeFileSync(path, c.slices[0]!.ciphertext)
    const orphan = join(dir, 'slices', `${'ab'.repeat(32)}.slices`)
    writeFileSync(orphan, new Uint8Array(10))
    s = await openStore(1e9)
    expect(existsSync(orphan)).to.equal(false)
    expect(s.has(c.id, 0)).to.equal(false)
    expect(await s.get(c.id, 0)).to.equal(undefined)
    await putAll(s, c)
    expect(s.bitfield(c.id)).to.deep.equal(fullBitfield(2))
    expect(await s.get(c.id, 1)).to.deep.equal(c.slices[1]!.ciphertext)
  })

  it('refuses an absurd budget', async () => {
    expect(await codeOf(SliceStore.open({ dir: join(dir, 'x'), kv, budgetBytes: -1 }))).to.equal('BAD_LAYOUT')
  })
})
