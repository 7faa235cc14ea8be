import { expect } from 'chai'
import fc from 'fast-check'
import { ValidatorSet, nextValidatorSet, type ValidatorUpdate } from '../../../src/consensus/index.js'
import { NodeConsensusApp } from '../../../src/node/consensusApp.js'
import { applyMembership, incrementPriorities, sameMembership, MemoryStore, type Chain, type PrioritizedMember } from '../../../src/state/index.js'
import { FOL, openStakingChain, Sender, commit, consensusKey, users, genesisKeys } from './fixture.js'

const pool = Array.from({ length: 6 }, (_, i) => consensusKey(`pool${i}`))

interface Member { address: Uint8Array, publicKey: Uint8Array, power: bigint }

function diff (prev: Member[], next: Member[]): ValidatorUpdate[] {
  const updates: ValidatorUpdate[] = []
  for (const p of prev) if (!next.some(n => Buffer.compare(n.address, p.address) === 0)) updates.push({ ...p, power: 0n })
  for (const n of next) {
    const p = prev.find(x => Buffer.compare(x.address, n.address) === 0)
    if (p === undefined || p.power !== n.power) updates.push(n)
  }
  return updates
}

function sorted (ms: Member[]): Member[] {
  return [...ms].sort((a, b) => Buffer.compare(a.address, b.address))
}

function app (chain: Chain): NodeConsensusApp {
  // validatorSet() only reads the chain; the mempool and logger are never touched by it
  return new NodeConsensusApp({ chain, mempool: undefined as never, address: null, log: undefined as never })
}

function expectSameSet (a: ValidatorSet, b: ValidatorSet, what: string): void {
  expect(a.validators.map(v => [Buffer.from(v.address).toString('hex'), v.power, v.proposerPriority]), what)
    .to.deep.equal(b.validators.map(v => [Buffer.from(v.address).toString('hex'), v.power, v.proposerPriority]))
  expect(a.proposer().address, `${what}: proposer`).to.deep.equal(b.proposer().address)
  expect(a.hash(), `${what}: hash`).to.deep.equal(b.hash())
}

describe('staking: proposer priorities in state', () => {
  it('agree with the consensus layer\'s nextValidatorSet over random membership sequences', () => {
    const membership = fc.array(fc.record({ on: fc.boolean(), power: fc.bigInt(1n, 60n) }), { minLength: pool.length, maxLength: pool.length })
      .map(spec => spec.flatMap((s, i) => s.on ? [{ address: pool[i]!.address, publicKey: pool[i]!.publicKey, power: s.power }] : []))
      .filter(ms => ms.length > 0)
    fc.assert(fc.property(fc.array(membership, { minLength: 2, maxLength: 25 }), (seq) => {
      const ms = seq.map(sorted)
      let cons = ValidatorSet.genesis(ms[0]!)
      let base: PrioritizedMember[] = ms[0]!.map(m => ({ address: m.address, power: m.power, priority: 0n }))
      expectSameSet(new ValidatorSet(base.map(b => ({ ...b, publicKey: ms[0]!.find(m => m.address === b.address)!.publicKey, proposerPriority: b.priority }))).incrementProposerPriority(1), cons, 'height 1')
      for (let h = 1; h < ms.length; h++) {
        cons = nextValidatorSet(cons, diff(ms[h - 1]!, ms[h]!))
        const post = incrementPriorities(base)
        base = sameMembership(base, ms[h]!) ? post : applyMembership(post, ms[h]!)
        const mine = new ValidatorSet(base.map((b, i) => ({ address: b.address, publicKey: ms[h]![i]!.publicKey, power: b.power, proposerPriority: b.priority })))
          .incrementProposerPriority(1)
        expectSameSet(mine, cons, `height ${h + 1}`)
      }
    }), { numRuns: 150 })
  })

  it('a restarted node derives the same sets and proposers as one that never stopped, and both match nextValidatorSet', async () => {
    const store = new MemoryStore()
    const chain = await openStakingChain({ unbondingBlocks: 50 }, store)
    const live = app(chain)
    const s = new Sender()
    const joiners = [consensusKey('r0'), consensusKey('r1')]
    const plan: Record<number, Array<ReturnType<Sender['tx']>>> = {
      2: [s.tx(users[0]!, 'validator.create', { consensusKey: joiners[0]!.publicKey, escrowKey: new Uint8Array(32).fill(3), selfStake: 4n * FOL, moniker: 'r0' })],
      4: [s.tx(users[1]!, 'stake.delegate', { validator: genesisKeys[0]!.address, amount: 25n * FOL })],
      5: [s.tx(users[2]!, 'validator.create', { consensusKey: joiners[1]!.publicKey, escrowKey: new Uint8Array(32).fill(4), selfStake: 30n * FOL, moniker: 'r1' })],
      8: [s.tx(users[0]!, 'stake.undelegate', { validator: joiners[0]!.address, amount: 4n * FOL })]
    }
    const seen: ValidatorSet[] = []
    for (let h = 1; h <= 14; h++) {
      seen[h] = live.validatorSet(h)
      await commit(chain, plan[h] ?? [])
    }
    // membership changed at 4 (r0 in), 6 (g0 power), 7 (r1 in), 10 (r0 out)
    expect(seen[3]!.size).to.equal(2)
    expect(seen[4]!.size).to.equal(3)
    expect(seen[7]!.size).to.equal(4)
    expect(seen[10]!.size).to.equal(3)
    // the consensus layer's own recurrence from genesis gives the same sets
    const members = (h: number): Member[] => chain.validators(h).map(v => ({ address: v.address, publicKey: v.publicKey, power: v.power }))
    let cons = ValidatorSet.genesis(members(1))
    for (let h = 1; h <= 14; h++) {
      if (h > 1) cons = nextValidatorSet(cons, diff(members(h - 1), members(h)))
      expectSameSet(seen[h]!, cons, `height ${h}`)
    }
    // every member proposes at some point: the rotation reaches the newcomers too
    const proposers = new Set(seen.slice(7).map(v => Buffer.from(v.proposer().address).toString('hex')))
    expect(proposers.size).to.be.greaterThan(1)

    const reopened = await openStakingChain({ unbondingBlocks: 50 }, store)
    expect(reopened.head().height).to.equal(14)
    const restarted = app(reopened)
    for (const h of [13, 14, 15, 16]) expectSameSet(restarted.validatorSet(h), live.validatorSet(h), `after restart, height ${h}`)
    // the restarted node goes on (the first chain object is now stale: same store, old head)
    await commit(reopened, [])
    await commit(reopened, [])
    const after = (h: number): Member[] => reopened.validators(h).map(v => ({ address: v.address, publicKey: v.publicKey, power: v.power }))
    for (let h = 15; h <= 18; h++) {
      cons = nextValidatorSet(cons, diff(after(h - 1), after(h)))
      expectSameSet(restarted.validatorSet(h), cons, `after restart, height ${h}`)
    }
  })
})
