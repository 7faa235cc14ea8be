/**
 * State proofs: presence and absence verify; any tampering (value, pairs, siblings, bucket index,
 * another key, unsorted or duplicated pairs, pairs from another bucket) fails; the JSON form round
 * trips and rejects malformed input with a typed error.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import {
  MAX_PROOF_PAIRS, StateCommitment, StateCommitmentError,
  stateProofFromJSON, stateProofToJSON, verifyStateProof
} from '../../../src/state/commitment/index.js'
import type { StateProof } from '../../../src/state/commitment/index.js'
import { hashBucket, hashNode } from '../../../src/state/commitment/layout.js'
import { MemoryStore } from '../../../src/state/store.js'
import { bucketOf, collidingKeys, enc } from './commitment.helpers.js'

const PREFIX = enc('sc/')

function clone (proof: StateProof): StateProof {
  return { bucket: proof.bucket, pairs: proof.pairs.slice(), siblings: proof.siblings.map(s => s.slice()) }
}

/** The root a (possibly non-canonical) bucket content implies with the given siblings. */
function rootOver (bucket: number, pairs: Uint8Array, siblings: Uint8Array[]): Uint8Array {
  let node = hashBucket(pairs)
  for (let level = 0; level < siblings.length; level++) {
    node = ((bucket >> level) & 1) === 0 ? hashNode(node, siblings[level]) : hashNode(siblings[level], node)
  }
  return node
}

describe('state commitment: proofs', () => {
  const [x, y, z] = collidingKeys('key-')
  const entries: Array<[string, string]> = [[x, 'one'], [y, 'two'], ['alice', '100'], ['bob', ''],
    ...Array.from({ length: 50 }, (_, i): [string, string] => [`acct/${i}`, `v${i}`])]
  let sc: StateCommitment
  let root: Uint8Array

  before(async () => {
    sc = await StateCommitment.open(new MemoryStore(), PREFIX)
    root = (await sc.update(entries.map(([k, v]) => [enc(k), enc(v)]))).root
  })

  it('proves every present value', async () => {
    for (const [k, v] of entries) {
      const proof = await sc.prove(enc(k))
      expect(proof.bucket).to.equal(bucketOf(enc(k)))
      expect(proof.siblings).to.have.length(16)
      expect(verifyStateProof(root, enc(k), enc(v), proof), k).to.equal(true)
      expect(verifyStateProof(root, enc(k), null, proof), k).to.equal(false)
      expect(verifyStateProof(root, enc(k), enc(v + '!'), proof), k).to.equal(false)
    }
  })

  it('proves absence in an occupied bucket and in an empty one', async () => {
    const shared = await sc.prove(enc(z))
    expect(shared.pairs.length).to.equal(2 * 64)
    expect(verifyStateProof(root, enc(z), null, shared)).to.equal(true)
    expect(verifyStateProof(root, enc(z), enc('one'), shared)).to.equal(false)
    const lonely = await sc.prove(enc('nobody'))
    expect(lonely.pairs.length).to.equal(0)
    expect(verifyStateProof(root, enc('nobody'), null, lonely)).to.equal(true)
  })

  it('fails against another root or for another key', async () => {
    const proof = await sc.prove(enc(x))
    const other = await StateCommitment.open(new MemoryStore(), PREFIX)
    const otherRoot = (await other.update([[enc(x), enc('one')]])).root
    expect(verifyStateProof(otherRoot, enc(x), enc('one'), proof)).to.equal(false)
    // y shares x's bucket, so only the pair lookup tells them apart.
    expect(verifyStateProof(root, enc(y), enc('one'), proof)).to.equal(false)
    expect(verifyStateProof(root, enc('alice'), enc('one'), proof)).to.equal(false)
  })

  it('fails when any byte of the pairs or siblings, or the bucket index, is changed (property)', async () => {
    const proof = await sc.prove(enc(x))
    const total = proof.pairs.length + 16 * 32
    fc.assert(fc.property(fc.integer({ min: 0, max: total - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const bad = clone(proof)
      if (at < bad.pairs.length) bad.pairs[at] ^= flip
      else bad.siblings[(at - bad.pairs.length) >> 5][(at - bad.pairs.length) & 31] ^= flip
      expect(verifyStateProof(root, enc(x), enc('one'), bad)).to.equal(false)
      expect(verifyStateProof(root, enc(z), null, bad)).to.equal(false)
    }), { numRuns: 200, seed: 7 })
    for (const bucket of [proof.bucket ^ 1, proof.bucket ^ 0x8000, -1, 65536, 1.5]) {
      expect(verifyStateProof(root, enc(x), enc('one'), { ...clone(proof), bucket })).to.equal(false)
    }
  })

  it('fails with a wrong number of siblings or wrongly sized hashes', async () => {
    const proof = await sc.prove(enc('alice'))
    expect(verifyStateProof(root, enc('alice'), enc('100'), { ...proof, siblings: proof.siblings.slice(1) })).to.equal(false)
    expect(verifyStateProof(root, enc('alice'), enc('100'), { ...proof, siblings: [...proof.siblings, proof.siblings[0]] })).to.equal(false)
    const short = clone(proof)
    short.siblings[3] = short.siblings[3].subarray(0, 31)
    expect(verifyStateProof(root, enc('alice'), enc('100'), short)).to.equal(false)
    expect(verifyStateProof(root, enc('alice'), enc('100'), { ...proof, pairs: proof.pairs.subarray(0, 63) })).to.equal(false)
    expect(verifyStateProof(root, enc('alice'), enc('100'), null as unknown as StateProof)).to.equal(false)
  })

  it('rejects unsorted, duplicated or foreign pairs even when the hashes chain up to the root', async () => {
    const proof = await sc.prove(enc(x))
    const [first, second] = [proof.pairs.slice(0, 64), proof.pairs.slice(64, 128)]
    const forged = (pairs: Uint8Array): StateProof => ({ bucket: proof.bucket, pairs, siblings: proof.siblings })
    const swapped = Uint8Array.of(...second, ...first)
    expect(verifyStateProof(rootOver(proof.bucket, swapped, proof.siblings), enc(x), enc('one'), forged(swapped))).to.equal(false)
    const duplicated = Uint8Array.of(...first, ...first, ...second)
    expect(verifyStateProof(rootOver(proof.bucket, duplicated, proof.siblings), enc(x), enc('one'), forged(duplicated))).to.equal(false)
    // A pair whose keyHash belongs to another bucket, placed where it sorts.
    const foreign = Uint8Array.of(...first, ...second, 0xff, 0xff, ...new Uint8Array(62))
    const foreignRoot = rootOver(proof.bucket, foreign, proof.siblings)
    expect(verifyStateProof(foreignRoot, enc(x), enc('one'), forged(foreign))).to.equal(false)
    // The canonical list over the same siblings does verify: the checks above are what failed.
    expect(verifyStateProof(rootOver(proof.bucket, proof.pairs, proof.siblings), enc(x), enc('one'), proof)).to.equal(true)
  })

  it('round trips through JSON', async () => {
    for (const key of [x, z, 'alice', 'nobody']) {
      const proof = await sc.prove(enc(key))
      const json = JSON.parse(JSON.stringify(stateProofToJSON(proof)))
      expect(json.pairs).to.match(/^0x/)
      const back = stateProofFromJSON(json)
      expect(back).to.deep.equal(proof)
    }
    expect(verifyStateProof(root, enc(x), enc('one'), stateProofFromJSON(stateProofToJSON(await sc.prove(enc(x)))))).to.equal(true)
  })

  it('rejects malformed JSON proofs with MALFORMED_PROOF', async () => {
    const good = stateProofToJSON(await sc.prove(enc(x)))
    const hash = '0x' + '00'.repeat(32)
    const cases: unknown[] = [
      null, 'proof', [good],
      { ...good, bucket: 65536 }, { ...good, bucket: -1 }, { ...good, bucket: '3' }, { ...good, bucket: 2.5 },
      { ...good, pairs: good.pairs.slice(0, -2) }, // 63-byte tail
      { ...good, pairs: good.pairs + 'a' }, // odd hex
      { ...good, pairs: good.pairs.slice(2) }, // no 0x
      { ...good, pairs: '0x' + 'zz'.repeat(64) },
      { ...good, pairs: '0x' + '00'.repeat(64 * (MAX_PROOF_PAIRS + 1)) },
      { ...good, siblings: good.siblings.slice(1) },
      { ...good, siblings: [...good.siblings, hash] },
      { ...good, siblings: [...good.siblings.slice(1), '0x' + '00'.repeat(31)] },
      { ...good, siblings: [...good.siblings.slice(1), '0x' + '00'.repeat(33)] },
      { ...good, siblings: [...good.siblings.slice(1), 7] },
      { ...good, siblings: 'nope' },
      { bucket: good.bucket, pairs: good.pairs }
    ]
    for (const input of cases) {
      try {
        stateProofFromJSON(input)
        expect.fail(`accepted ${JSON.stringify(input)?.slice(0, 80)}`)
      } catch (err) {
        expect(err).to.be.instanceOf(StateCommitmentError)
        expect((err as StateCommitmentError).code).to.equal('MALFORMED_PROOF')
      }
    }
  })

  it('never throws on arbitrary JSON input other than its typed error (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      try {
        stateProofFromJSON(value)
      } catch (err) {
        expect(err).to.be.instanceOf(StateCommitmentError)
      }
    }), { numRuns: 300, seed: 11 })
  })
})
