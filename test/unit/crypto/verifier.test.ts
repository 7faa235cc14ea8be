/**
 * The signature verifier gives exactly ed25519Verify's answers, in order, whether it checks on
 * worker threads or on the event loop, and a worker that dies does not lose or falsify an answer.
 */
import { expect } from 'chai'
import { SignatureVerifier, type SignatureCheck } from '../../../src/crypto/verifier.js'
import { ed25519Generate, ed25519Sign, ed25519Verify } from '../../../src/crypto/index.js'

function checks (n: number): SignatureCheck[] {
  const keys = Array.from({ length: 5 }, () => ed25519Generate())
  return Array.from({ length: n }, (_, i) => {
    const k = keys[i % keys.length]
    const message = new Uint8Array(20 + (i % 200)).fill(i & 0xff)
    const signature = ed25519Sign(k.secretKey, message)
    if (i % 7 === 3) signature[5] ^= 1 // a forged signature
    if (i % 11 === 4) return { publicKey: k.publicKey, message: new Uint8Array([...message, 1]), signature } // another message
    if (i % 13 === 5) return { publicKey: new Uint8Array(31), message, signature } // a malformed key
    if (i % 17 === 6) return { publicKey: new Uint8Array(32), message, signature: new Uint8Array(64) } // small-order key
    return { publicKey: k.publicKey, message, signature }
  })
}

describe('crypto/verifier', function () {
  this.timeout(20_000)

  for (const workers of [0, 1, 2]) {
    it(`answers like ed25519Verify, in order, with ${workers} worker${workers === 1 ? '' : 's'}`, async () => {
      const verifier = new SignatureVerifier({ workers })
      try {
        const list = checks(300)
        const expected = list.map(c => ed25519Verify(c.publicKey, c.message, c.signature))
        expect(expected.filter(v => v).length).to.be.greaterThan(150)
        expect(expected.filter(v => !v).length).to.be.greaterThan(50)
        const [a, b, c] = await Promise.all([verifier.verifyMany(list), verifier.verifyMany(list.slice(0, 10)), verifier.verifyMany([])])
        expect(a).to.deep.equal(expected)
        expect(b).to.deep.equal(expected.slice(0, 10))
        expect(c).to.deep.equal([])
        expect(await verifier.verify(list[0])).to.equal(expected[0])
      } finally {
        await verifier.close()
      }
    })
  }

  it('answers on the calling thread after it is closed', async () => {
    const verifier = new SignatureVerifier({ workers: 1 })
    await verifier.close()
    const list = checks(20)
    expect(await verifier.verifyMany(list)).to.deep.equal(list.map(c => ed25519Verify(c.publicKey, c.message, c.signature)))
  })

  it('replaces a worker that dies and still answers what it held', async () => {
    const verifier = new SignatureVerifier({ workers: 1 })
    try {
      const list = checks(200)
      const expected = list.map(c => ed25519Verify(c.publicKey, c.message, c.signature))
      const answer = verifier.verifyMany(list)
      // kill the worker while it holds the batch
      const slot = (verifier as unknown as { slots: Array<{ worker: { terminate: () => Promise<number> } }> }).slots[0]
      await slot.worker.terminate()
      expect(await answer).to.deep.equal(expected)
      expect(await verifier.verifyMany(list)).to.deep.equal(expected)
    } finally {
      await verifier.close()
    }
  })

  it('answers batches smaller than inlineBelow on the calling thread and larger ones on a worker', async () => {
    const verifier = new SignatureVerifier({ workers: 1, inlineBelow: 4 })
    try {
      const list = checks(12)
      const expected = list.map(c => ed25519Verify(c.publicKey, c.message, c.signature))
      expect(await verifier.verifyMany(list.slice(0, 3))).to.deep.equal(expected.slice(0, 3))
      expect(verifier.batches).to.deep.equal({ inline: 1, worker: 0 })
      expect(await verifier.verifyMany(list)).to.deep.equal(expected)
      expect(verifier.batches).to.deep.equal({ inline: 1, worker: 1 })
    } finally {
      await verifier.close()
    }
  })

  it('refuses a negative or fractional worker count or inline threshold', () => {
    expect(() => new SignatureVerifier({ workers: -1 })).to.throw(RangeError)
    expect(() => new SignatureVerifier({ workers: 1.5 })).to.throw(RangeError)
    expect(() => new SignatureVerifier({ inlineBelow: -1 })).to.throw(RangeError)
  })
})
