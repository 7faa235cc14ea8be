/**
 * Validator sets: integer thresholds, the validators hash, and CometBFT's proposer selection
 * (including its published {p1:1, p2:3} vector), with changes taking effect via nextValidatorSet.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { ValidatorSet, nextValidatorSet } from '../../../src/consensus/validatorSet.js'
import type { ValidatorUpdate } from '../../../src/consensus/validatorSet.js'
import { ConsensusError } from '../../../src/consensus/errors.js'

/** Addresses that sort in name order, like CometBFT's test validators "p1", "p2". */
function val (name: string, power: bigint): ValidatorUpdate {
  const address = new Uint8Array(20)
  address.set(new TextEncoder().encode(name))
  const publicKey = new Uint8Array(32).fill(name.charCodeAt(name.length - 1))
  return { address, publicKey, power }
}

function nameOf (set: ValidatorSet, v: { address: Uint8Array }): string {
  return new TextDecoder().decode(v.address).replace(/\0+$/, '')
}

/** Proposers of successive heights (one increment per height, as the chain does). */
function proposersByHeight (set: ValidatorSet, n: number): string[] {
  const out: string[] = []
  let s = set
  for (let i = 0; i < n; i++) {
    out.push(nameOf(s, s.proposer()))
    s = nextValidatorSet(s, [])
  }
  return out
}

describe('ValidatorSet', () => {
  it('counts more than 2/3 in integers: exactly 2/3 is not enough', () => {
    const set = new ValidatorSet([val('a', 1n), val('b', 1n), val('c', 1n)])
    expect(set.totalPower).to.equal(3n)
    expect(set.hasTwoThirds(2n)).to.equal(false)
    expect(set.hasTwoThirds(3n)).to.equal(true)
    expect(set.hasOneThirdPlus(1n)).to.equal(false)
    expect(set.hasOneThirdPlus(2n)).to.equal(true)
    const big = new ValidatorSet([val('a', 100n), val('b', 50n)])
    expect(big.hasTwoThirds(100n)).to.equal(false)
    expect(big.hasTwoThirds(101n)).to.equal(true)
  })

  it('follows the CometBFT vector {p1:1, p2:3} -> p2, p1, p2, p2', () => {
    const set = ValidatorSet.genesis([val('p1', 1n), val('p2', 3n)])
    expect(proposersByHeight(set, 4)).to.deep.equal(['p2', 'p1', 'p2', 'p2'])
    // Rounds within one height follow the same sequence.
    expect([0, 1, 2, 3].map(r => nameOf(set, set.proposerForRound(r)))).to.deep.equal(['p2', 'p1', 'p2', 'p2'])
  })

  it('rotates equal powers in address order and breaks ties by lower address', () => {
    const set = ValidatorSet.genesis([val('c', 5n), val('a', 5n), val('b', 5n)])
    expect(proposersByHeight(set, 6)).to.deep.equal(['a', 'b', 'c', 'a', 'b', 'c'])
  })

  it('gives each validator a share of proposals equal to its share of power', () => {
    const set = ValidatorSet.genesis([val('a', 1n), val('b', 2n), val('c', 7n)])
    const counts = new Map<string, number>()
    for (const p of proposersByHeight(set, 1000)) counts.set(p, (counts.get(p) ?? 0) + 1)
    expect(counts.get('a')).to.equal(100)
    expect(counts.get('b')).to.equal(200)
    expect(counts.get('c')).to.equal(700)
  })

  it('keeps priorities centred and within the window (property)', () => {
    fc.assert(fc.property(fc.array(fc.bigInt({ min: 1n, max: 1_000_000n }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 50 }), (powers, steps) => {
      let set = ValidatorSet.genesis(powers.map((p, i) => val(`v${i}`, p)))
      for (let i = 0; i < steps; i++) set = nextValidatorSet(set, [])
      const pr = set.validators.map(v => v.proposerPriority)
      const max = pr.reduce((a, b) => a > b ? a : b)
      const min = pr.reduce((a, b) => a < b ? a : b)
      expect(max - min <= 3n * set.totalPower).to.equal(true)
      const sum = pr.reduce((a, b) => a + b, 0n)
      expect(sum > -BigInt(pr.length) * set.totalPower && sum < BigInt(pr.length) * set.totalPower).to.equal(true)
    }), { numRuns: 100 })
  })

  it('puts a newcomer behind everyone (priority -1.125 x total) and removes with power 0', () => {
    const set = ValidatorSet.genesis([val('a', 10n), val('b', 10n)])
    const joined = set.applyChanges([val('c', 10n)])
    expect(joined.size).to.equal(3)
    const c = joined.get(val('c', 0n).address)!
    for (const v of joined.validators) if (v !== c) expect(c.proposerPriority < v.proposerPriority).to.equal(true)
    const left = joined.applyChanges([val('a', 0n)])
    expect(left.validators.map(v => nameOf(left, v))).to.deep.equal(['b', 'c'])
    expect(() => left.applyChanges([val('zz', 0n)])).to.throw(ConsensusError)
    expect(() => set.applyChanges([val('a', 0n), val('b', 0n)])).to.throw(ConsensusError)
  })

  it('hashes address, key and power in canonical order, not priorities', () => {
    const a = ValidatorSet.genesis([val('a', 1n), val('b', 2n)])
    const b = new ValidatorSet([val('b', 2n), val('a', 1n)])
    expect(a.hash()).to.deep.equal(b.hash())
    expect(a.hash()).to.have.length(32)
    expect(new ValidatorSet([val('a', 1n), val('b', 3n)]).hash()).to.not.deep.equal(a.hash())
  })

  it('rejects malformed sets', () => {
    expect(() => new ValidatorSet([val('a', 0n)])).to.throw(ConsensusError)
    expect(() => new ValidatorSet([val('a', 1n), val('a', 2n)])).to.throw(ConsensusError)
    expect(() => ValidatorSet.genesis([])).to.throw(ConsensusError)
    expect(() => new ValidatorSet([{ ...val('a', 1n), address: new Uint8Array(19) }])).to.throw(ConsensusError)
  })
})
