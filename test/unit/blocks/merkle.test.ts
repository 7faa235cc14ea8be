import { expect } from 'chai'
import fc from 'fast-check'
import { sha256, sha256Concat } from '../../../src/crypto/index.js'
import { merkleProof, merkleRoot, verifyMerkleProof } from '../../../src/blocks/merkle.js'

const leaf = (d: Uint8Array): Uint8Array => sha256Concat(Uint8Array.of(0), d)
const node = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256Concat(Uint8Array.of(1), l, r)
const data = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => Uint8Array.of(i, i + 1))

describe('blocks/merkle', () => {
  it('hashes the empty list, one leaf and pairs with domain separation', () => {
    expect(merkleRoot([])).to.deep.equal(sha256(new Uint8Array(0)))
    const [a, b, c] = data(3)
    expect(merkleRoot([a])).to.deep.equal(leaf(a))
    expect(merkleRoot([a, b])).to.deep.equal(node(leaf(a), leaf(b)))
    // the odd leaf is promoted, not paired with itself
    expect(merkleRoot([a, b, c])).to.deep.equal(node(node(leaf(a), leaf(b)), leaf(c)))
    expect(merkleRoot([a, b, c])).to.not.deep.equal(merkleRoot([a, b, c, c]))
  })

  it('cannot pass an inner node off as a leaf', () => {
    const [a, b] = data(2)
    const inner = sha256Concat(leaf(a), leaf(b))
    expect(merkleRoot([inner])).to.not.deep.equal(merkleRoot([a, b]))
  })

  it('proves every leaf of every size up to 33 and rejects tampering', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = data(n)
      const root = merkleRoot(leaves)
      for (let i = 0; i < n; i++) {
        const proof = merkleProof(leaves, i)
        expect(verifyMerkleProof(root, leaves[i], proof), `n=${n} i=${i}`).to.equal(true)
        expect(verifyMerkleProof(root, Uint8Array.of(99), proof)).to.equal(false)
        if (n > 1) {
          expect(verifyMerkleProof(root, leaves[i], { ...proof, index: (i + 1) % n })).to.equal(false)
          expect(verifyMerkleProof(root, leaves[i], { ...proof, siblings: proof.siblings.slice(1) })).to.equal(false)
        }
      }
    }
  })

  it('changes root when any leaf changes or leaves are reordered', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 2, maxLength: 12 }), fc.nat(), (leaves, k) => {
      const i = k % leaves.length
      const changed = leaves.slice()
      changed[i] = Uint8Array.of(...leaves[i], 0xee)
      expect(merkleRoot(changed)).to.not.deep.equal(merkleRoot(leaves))
    }))
  })
})
