/** The upload token bucket: burst, sustained rate, the wait it announces, and no overshoot over time. */
import { expect } from 'chai'
import fc from 'fast-check'
import { UploadBudget } from '../../../src/torrent/bandwidth.js'
import { SwarmError } from '../../../src/torrent/errors.js'

describe('torrent/bandwidth', () => {
  it('allows a burst, then the sustained rate, and says how long to wait', () => {
    const b = new UploadBudget(1000, 2000, 0) // 1000 B/s, 2000 B burst
    expect(b.take(1500, 0)).to.equal(0)
    expect(b.take(1000, 0)).to.equal(500)
    expect(b.take(1000, 499)).to.equal(1)
    expect(b.take(1000, 500)).to.equal(0)
    expect(b.available(500)).to.equal(0)
    expect(b.available(100_000)).to.equal(2000)
    expect(() => b.take(2001, 0)).to.throw(SwarmError)
    expect(new UploadBudget(0, 1, 0).take(10 ** 9, 0)).to.equal(0)
    expect(() => new UploadBudget(-1, 10, 0)).to.throw(SwarmError)
  })

  it('never lets more than burst + rate × time out', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100_000 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 1000 })), { maxLength: 100 }), (rate, steps) => {
      const b = new UploadBudget(rate, 1000, 0)
      let now = 0
      let sent = 0
      for (const [dt, bytes] of steps) {
        now += dt
        if (b.take(bytes, now) === 0) sent += bytes
        expect(sent).to.be.at.most(1000 + rate * now / 1000 + 1e-6)
      }
    }))
  })
})
