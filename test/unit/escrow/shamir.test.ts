/**
 * Shamir wrapper: any t shares rebuild the secret, for every committee size the chain can have;
 * t-1 shares do not (they rebuild some other value, the scheme's secrecy); t = 1 works although
 * the package does not support it; malformed share sets are refused.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { splitSecret, combineShares, escrowThreshold, randomBytes } from '../../../src/crypto/index.js'

describe('shamir (escrow)', () => {
  it('threshold is floor((n-1)/3)+1', () => {
    expect([1, 2, 3, 4, 5, 7, 10, 100].map(escrowThreshold)).to.deep.equal([1, 1, 1, 2, 2, 3, 4, 34])
    expect(() => escrowThreshold(0)).to.throw(/at least one member/)
  })

  it('any t of n shares rebuild the secret; t-1 do not', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer(), async (n, seed) => {
      const t = escrowThreshold(n)
      const secret = randomBytes(32)
      const shares = await splitSecret(secret, n, t)
      expect(shares).to.have.length(n)
      // a pseudo-random subset of t shares, from the seed
      const order = shares.map((s, i) => ({ s, k: (i * 7919 + seed) % 1009 })).sort((a, b) => a.k - b.k).map(x => x.s)
      expect(await combineShares(order.slice(0, t))).to.deep.equal(secret)
      if (t >= 3) expect(await combineShares(order.slice(0, t - 1))).to.not.deep.equal(secret)
    }), { numRuns: 40 })
  })

  it('t = 1: each share alone is the secret', async () => {
    const secret = randomBytes(32)
    for (const s of await splitSecret(secret, 3, 1)) expect(await combineShares([s])).to.deep.equal(secret)
  })

  it('refuses repeated or zero x-coordinates and mixed lengths', async () => {
    const shares = await splitSecret(randomBytes(32), 4, 2)
    await combineShares([shares[0]!, shares[0]!]).then(() => expect.fail('accepted'), (e) => expect(e.message).to.match(/repeated/))
    const zero = Uint8Array.from(shares[1]!); zero[32] = 0
    await combineShares([shares[0]!, zero]).then(() => expect.fail('accepted'), (e) => expect(e.message).to.match(/zero/))
    await combineShares([shares[0]!, shares[1]!.subarray(1)]).then(() => expect.fail('accepted'), (e) => expect(e.message).to.match(/one length/))
    await splitSecret(randomBytes(32), 3, 4).then(() => expect.fail('accepted'), (e) => expect(e.message).to.match(/threshold/))
  })
})
