/**
 * Content keys, slice encryption, the Merkle tree and the publishing pipeline, end to end: a
 * 3 MiB random buffer is sliced, encrypted, committed, verified and decrypted back.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes, sha256 } from '../../../src/crypto/index.js'
import { deriveContentKey, decryptSlice, encryptSlice, newKeySalt } from '../../../src/torrent/contentKey.js'
import { contentRoot, leafHash, nodeHash, packLeaves, unpackLeaves, verifyLeafLayer, verifySlice } from '../../../src/torrent/merkle.js'
import { commitContent, commitFile, rechunk, sliceAndEncrypt, type PublishedSlice } from '../../../src/torrent/publish.js'
import { SwarmError } from '../../../src/torrent/errors.js'
import { MIN_SLICE_SIZE } from '../../../src/torrent/layout.js'

async function * chunks (data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < data.length; o += size) yield data.subarray(o, o + size)
}

function concat (parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

const master = sha256(new TextEncoder().encode('test master secret'))

describe('torrent/contentKey', () => {
  it('derives one key per (master, salt) and a different key per salt', () => {
    const salt = newKeySalt()
    expect(deriveContentKey(master, salt)).to.deep.equal(deriveContentKey(master, salt))
    expect(deriveContentKey(master, salt)).to.not.deep.equal(deriveContentKey(master, newKeySalt()))
    expect(() => deriveContentKey(master, new Uint8Array(31))).to.throw(SwarmError)
    expect(() => deriveContentKey(new Uint8Array(8), salt)).to.throw(SwarmError)
  })

  it('binds each slice to its key and index', () => {
    const key = deriveContentKey(master, newKeySalt())
    const plain = randomBytes(1000)
    const sealed = encryptSlice(key, 7, plain)
    expect(sealed.length).to.equal(1016)
    expect(decryptSlice(key, 7, sealed)).to.deep.equal(plain)
    expect(() => decryptSlice(key, 8, sealed)).to.throw(SwarmError).with.property('code', 'DECRYPT_FAILED')
    expect(() => decryptSlice(randomBytes(32), 7, sealed)).to.throw(SwarmError).with.property('code', 'DECRYPT_FAILED')
    expect(() => encryptSlice(new Uint8Array(16), 0, plain)).to.throw(SwarmError).with.property('code', 'BAD_KEY')
  })
})

describe('torrent/merkle', () => {
  const leaves = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => sha256(Uint8Array.of(i)))

  it('pads to a power of two with zero hashes and tags internal nodes', () => {
    const [a, b, c] = leaves(3)
    const zero = new Uint8Array(32)
    expect(contentRoot([a!])).to.deep.equal(a)
    expect(contentRoot([a!, b!])).to.deep.equal(nodeHash(a!, b!))
    expect(contentRoot([a!, b!, c!])).to.deep.equal(nodeHash(nodeHash(a!, b!), nodeHash(c!, zero)))
    const five = leaves(5)
    const z1 = nodeHash(zero, zero)
    const expected = nodeHash(
      nodeHash(nodeHash(five[0]!, five[1]!), nodeHash(five[2]!, five[3]!)),
      nodeHash(nodeHash(five[4]!, zero), z1))
    expect(contentRoot(five)).to.deep.equal(expected)
  })

  it('detects any change to the leaf layer or slice count', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), fc.nat(255), (n, at, bit) => {
      const ls = leaves(n)
      const root = contentRoot(ls)
      expect(verifyLeafLayer(root, ls, n)).to.equal(true)
      const forged = ls.map(h => Uint8Array.from(h))
      forged[at % n]![bit % 32] ^= 1 << (bit % 8)
      expect(verifyLeafLayer(root, forged, n)).to.equal(false)
      expect(verifyLeafLayer(root, ls.slice(0, n - 1), n)).to.equal(false)
      expect(verifyLeafLayer(root, [...ls, new Uint8Array(32)], n + 1)).to.equal(false)
    }), { numRuns: 100 })
  })

  it('packs the leaf layer as 32-byte hashes', () => {
    const ls = leaves(4)
    expect(unpackLeaves(packLeaves(ls))).to.deep.equal(ls)
    expect(() => unpackLeaves(new Uint8Array(33))).to.throw(SwarmError)
    expect(() => contentRoot([])).to.throw(SwarmError)
    expect(() => contentRoot([new Uint8Array(31)])).to.throw(SwarmError)
  })
})

describe('torrent/publish', () => {
  it('round-trips 3 MiB: slice, encrypt, commit, verify every leaf, decrypt, reassemble', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 12345)
    const key = deriveContentKey(master, newKeySalt())
    const stored: PublishedSlice[] = []
    // Odd chunk sizes, so slices straddle the chunks the source yields.
    const card = await commitContent(chunks(data, 100_003), key, undefined, s => { stored.push(s) })
    expect(card.size).to.equal(data.length)
    expect(card.sliceCount).to.equal(13)
    expect(stored.map(s => s.index)).to.deep.equal([...Array(13).keys()])
    expect(verifyLeafLayer(card.contentRoot, card.leafHashes, card.sliceCount)).to.equal(true)
    for (const s of stored) expect(verifySlice(card.leafHashes, s.index, s.ciphertext)).to.equal(true)
    const plain = concat(stored.map(s => decryptSlice(key, s.index, s.ciphertext)))
    expect(Buffer.compare(plain, data)).to.equal(0)

    const flipped = Uint8Array.from(stored[4]!.ciphertext)
    flipped[1000]! ^= 0x20
    expect(verifySlice(card.leafHashes, 4, flipped)).to.equal(false)
    expect(verifySlice(card.leafHashes, 5, stored[4]!.ciphertext)).to.equal(false)
    const wrongKey = deriveContentKey(master, newKeySalt())
    expect(() => decryptSlice(wrongKey, 0, stored[0]!.ciphertext)).to.throw(SwarmError).with.property('code', 'DECRYPT_FAILED')
  })

  it('leaves preview content clear when there is no key, and hashes what it yields', async () => {
    const data = randomBytes(MIN_SLICE_SIZE * 2 + 1)
    const out: PublishedSlice[] = []
    for await (const s of sliceAndEncrypt(chunks(data, 7777), null, MIN_SLICE_SIZE)) out.push(s)
    expect(out.map(s => s.ciphertext.length)).to.deep.equal([MIN_SLICE_SIZE, MIN_SLICE_SIZE, 1])
    expect(Buffer.compare(concat(out.map(s => s.ciphertext)), data)).to.equal(0)
    for (const s of out) expect(s.leafHash).to.deep.equal(leafHash(s.ciphertext))
  })

  it('re-cuts any chunking into the same slices', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 3 * MIN_SLICE_SIZE }), fc.integer({ min: 1, max: 40_000 }), async (data, step) => {
      const parts: Uint8Array[] = []
      for await (const s of rechunk(chunks(data, step), MIN_SLICE_SIZE)) parts.push(s)
      expect(parts.slice(0, -1).every(p => p.length === MIN_SLICE_SIZE)).to.equal(true)
      expect(Buffer.compare(concat(parts), data)).to.equal(0)
    }), { numRuns: 50 })
  })

  it('commits a file from disk the same as from memory, and refuses empty content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'folio-publish-'))
    try {
      const data = randomBytes(100_000)
      const path = join(dir, 'clip.bin')
      writeFileSync(path, data)
      const fromFile = await commitFile(path, null, MIN_SLICE_SIZE)
      const fromMemory = await commitContent(chunks(data, 4096), null, MIN_SLICE_SIZE)
      expect(fromFile).to.deep.equal(fromMemory)
      writeFileSync(join(dir, 'empty'), new Uint8Array(0))
      let err: unknown
      try { await commitFile(join(dir, 'empty'), null) } catch (e) { err = e }
      expect(err).to.be.instanceOf(SwarmError).with.property('code', 'BAD_LAYOUT')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
