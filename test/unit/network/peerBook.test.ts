/** Penalty points decay with a half-life; reaching the threshold bans a peer for a while. */
import { expect } from 'chai'
import { PeerBook } from '../../../src/network/peerBook.js'

describe('network/PeerBook', () => {
  it('bans at the threshold and lifts the ban (and the points) when it expires', () => {
    let now = 0
    const book = new PeerBook({ banPenalty: 100, banMs: 1000, halfLifeMs: 10_000, now: () => now })
    expect(book.penalize('p', 50)).to.equal(false)
    expect(book.penalize('p', 50)).to.equal(true)
    expect(book.isBanned('p')).to.equal(true)
    now = 1001
    expect(book.isBanned('p')).to.equal(false)
    expect(book.penalty('p')).to.equal(0)
  })

  it('halves points every half-life, so occasional timeouts never add up to a ban', () => {
    let now = 0
    const book = new PeerBook({ banPenalty: 100, banMs: 1000, halfLifeMs: 1000, now: () => now })
    book.penalize('p', 40)
    now = 1000
    expect(book.penalty('p')).to.be.closeTo(20, 1e-9)
    for (let i = 0; i < 20; i++) { now += 1000; expect(book.penalize('p', 40)).to.equal(false) }
    expect(book.isBanned('p')).to.equal(false)
  })
})
