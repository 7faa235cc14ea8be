/**
 * The engine among several validators on the simulated network: normal operation, faulty
 * proposers, partitions, the exact 2/3 threshold, locking, validator-set changes and evidence.
 * Nodes whose engine is never started stand for crashed or Byzantine validators; the test sends
 * their (directly signed) messages itself.
 */
import { expect } from 'chai'
import { bytesEqual } from '../../../src/codec/hex.js'
import { sha256 } from '../../../src/crypto/index.js'
import { verifyCommit } from '../../../src/consensus/commit.js'
import { verifyEvidence } from '../../../src/consensus/evidence.js'
import { resolveConsensusOptions } from '../../../src/consensus/options.js'
import type { ValidatorUpdate } from '../../../src/consensus/validatorSet.js'
import { CHAIN_ID, encodeSimBlock, SimNetwork } from './sim.js'
import type { SimMessage } from './sim.js'

const FAST = { proposeBase: 1000, proposeDelta: 500, prevoteBase: 300, prevoteDelta: 250, precommitBase: 300, precommitDelta: 250, commitDelay: 100 }

async function startExcept (net: SimNetwork, down: number[]): Promise<void> {
  for (const n of net.nodes) if (!down.includes(n.index)) await net.startNode(n.index)
}

function allReach (net: SimNetwork, height: number, nodes: number[]): () => boolean {
  return () => nodes.every(i => net.nodes[i]!.app.chain.length >= height)
}

describe('consensus engine, simulated network', () => {
  it('commits in round 0 with four honest validators, each commit verifiable', async () => {
    const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: FAST })
    await net.startAll()
    expect(await net.runUntil(allReach(net, 5, [0, 1, 2, 3]), 60_000)).to.equal(true)
    net.assertAgreement()
    const app = net.nodes[0]!.app
    for (const c of app.chain) {
      expect(c.commit.round).to.equal(0)
      verifyCommit(CHAIN_ID, app.validatorSet(c.height), c.commit, { height: c.height, blockHash: c.hash })
    }
    // Proposers rotate with equal power.
    const proposers = new Set(app.chain.slice(0, 4).map((_, h) => net.proposerIndex(h + 1, 0)))
    expect(proposers.size).to.equal(4)
  })

  it('is deterministic: the same inputs give the same chain at the same protocol times', async () => {
    const run = async (): Promise<string[]> => {
      const net = new SimNetwork({ powers: [3n, 1n, 1n, 2n], options: FAST })
      net.delayOf = (from, to) => 5 + ((from * 7 + to * 3) % 11)
      await net.startAll()
      await net.runFor(2_000)
      net.assertAgreement()
      return net.nodes[0]!.app.chain.map(c => `${c.height}:${c.commit.round}:${Buffer.from(c.hash).toString('hex')}:${c.commit.signatures.length}`)
    }
    const a = await run()
    expect(a.length).to.be.greaterThan(5)
    expect(await run()).to.deep.equal(a)
  })

  it('moves to round 1 when the proposer is silent', async () => {
    const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: FAST })
    const silent = net.proposerIndex(1, 0)
    const live = [0, 1, 2, 3].filter(i => i !== silent)
    await startExcept(net, [silent])
    expect(await net.runUntil(allReach(net, 1, live), 60_000)).to.equal(true)
    net.assertAgreement()
    const commit = net.nodes[live[0]!]!.app.chain[0]!.commit
    expect(commit.round).to.equal(1)
    expect(commit.signatures).to.have.length(3)
  })

  it('survives a proposer that equivocates, without a fork', async () => {
    const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: FAST })
    const byz = net.proposerIndex(1, 0)
    const honest = [0, 1, 2, 3].filter(i => i !== byz)
    await startExcept(net, [byz])
    const a = net.rawProposal(byz, 1, 0, -1, encodeSimBlock(1, net.nodes[byz]!.key.address, [], null))
    const b = net.rawProposal(byz, 1, 0, -1, encodeSimBlock(1, new Uint8Array(20).fill(7), [], null))
    net.send(byz, honest[0]!, a)
    net.send(byz, honest[1]!, a)
    net.send(byz, honest[2]!, b)
    // And it prevotes both, to everyone.
    for (const i of honest) {
      net.send(byz, i, net.rawVote(byz, 'prevote', 1, 0, (a as { proposal: { blockHash: Uint8Array } }).proposal.blockHash))
    }
    expect(await net.runUntil(allReach(net, 2, honest), 60_000)).to.equal(true)
    net.assertAgreement()
    expect(net.nodes[honest[0]!]!.app.chain[0]!.commit.round).to.be.at.least(1)
  })

  it('stalls during a 2/2 partition and recovers when it heals', async () => {
    const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: FAST })
    net.partition([0, 1], [2, 3])
    await net.startAll()
    await net.runFor(20_000)
    expect(net.heights()).to.deep.equal([0, 0, 0, 0])
    net.heal()
    expect(await net.runUntil(allReach(net, 3, [0, 1, 2, 3]), 60_000)).to.equal(true)
    net.assertAgreement()
  })

  it('never commits with exactly 2/3 of the power, and does once more joins', async () => {
    const net = new SimNetwork({ powers: [1n, 1n, 1n], options: FAST })
    await startExcept(net, [2])
    await net.runFor(60_000)
    expect(net.heights()).to.deep.equal([0, 0, 0])
    // Two of three prevotes are not a polka: no one precommitted a block.
    for (const i of [0, 1]) {
      expect(net.nodes[i]!.sent.some(m => m.kind === 'vote' && m.vote.type === 'precommit' && m.vote.blockHash !== null)).to.equal(false)
    }
    await net.startNode(2)
    net.regossip()
    expect(await net.runUntil(allReach(net, 2, [0, 1, 2]), 120_000)).to.equal(true)
    net.assertAgreement()
  })

  it('keeps nodes locked across rounds, so precommits split over rounds cannot fork', async () => {
    const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: FAST })
    const p0 = net.proposerIndex(1, 0)
    const byz = net.proposerIndex(1, 1)
    const b = [0, 1, 2, 3].find(i => i !== p0 && i !== byz)!
    const two = [0, 1, 2, 3].find(i => i !== p0 && i !== byz && i !== b)!
    const isProposalA = (m: SimMessage): boolean => m.kind === 'proposal' && m.proposal.round === 0
    const isPrecommit0 = (m: SimMessage): boolean => m.kind === 'vote' && m.vote.type === 'precommit' && m.vote.round === 0 && m.vote.blockHash !== null
    // `two` never sees proposal A; b's precommit for A reaches p0 only much later.
    net.filter = (_from, to, m) => !(to === two && isProposalA(m))
    net.delayOf = (from, to, m) => (from === b && to === p0 && isPrecommit0(m)) ? 30_000 : net.latency
    await startExcept(net, [byz])
    await net.runUntil(() => net.nodes[p0]!.sent.length > 0, 1000)
    const proposalA = net.nodes[p0]!.sent[0]!
    if (proposalA.kind !== 'proposal') throw new Error('expected the proposal first')
    const hashA = proposalA.proposal.blockHash
    // The Byzantine validator prevotes A to the lockers and nil to `two`, and precommits A to p0 only.
    net.send(byz, p0, net.rawVote(byz, 'prevote', 1, 0, hashA), 5)
    net.send(byz, b, net.rawVote(byz, 'prevote', 1, 0, hashA), 5)
    net.send(byz, two, net.rawVote(byz, 'prevote', 1, 0, null), 5)
    net.send(byz, p0, net.rawVote(byz, 'precommit', 1, 0, hashA), 5)
    expect(await net.runUntil(() => net.nodes[p0]!.engine!.status.round === 1, 10_000)).to.equal(true)
    expect(net.nodes[p0]!.engine!.status.lockedRound).to.equal(0)
    expect(net.nodes[b]!.engine!.status.lockedRound).to.equal(0)
    expect(net.heights()).to.deep.equal([0, 0, 0, 0])
    // Round 1: the Byzantine proposer offers B and votes for it everywhere.
    const blockB = encodeSimBlock(1, net.nodes[byz]!.key.address, [], null)
    const proposalB = net.rawProposal(byz, 1, 1, -1, blockB)
    const hashB = sha256(blockB)
    for (const i of [p0, b, two]) {
      net.send(byz, i, proposalB, 1)
      net.send(byz, i, net.rawVote(byz, 'prevote', 1, 1, hashB), 1)
      net.send(byz, i, net.rawVote(byz, 'precommit', 1, 1, hashB), 1)
    }
    await net.runFor(20_000)
    // Gossip finally catches up with everything, including the held precommit.
    net.delayOf = () => net.latency
    net.filter = () => true
    net.regossip()
    expect(await net.runUntil(allReach(net, 1, [p0, b, two]), 120_000)).to.equal(true)
    net.assertAgreement()
    expect(net.nodes[p0]!.app.chain[0]!.hash).to.deep.equal(hashA)
    const twoPrevotedB = net.nodes[two]!.sent.some(m => m.kind === 'vote' && m.vote.type === 'prevote' && m.vote.blockHash !== null && bytesEqual(m.vote.blockHash, hashB))
    expect(twoPrevotedB, 'the unlocked node took B, so only the locks kept B from a polka').to.equal(true)
    for (const i of [p0, b]) {
      const votedB = net.nodes[i]!.sent.some(m => m.kind === 'vote' && m.vote.height === 1 && m.vote.blockHash !== null && bytesEqual(m.vote.blockHash, hashB))
      expect(votedB, `locked node ${i} voted for B`).to.equal(false)
    }
  })

  it('applies a validator joining and one leaving at h + 2', async () => {
    const changesAt = new Map<number, ValidatorUpdate[]>()
    const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], extraNodes: 1, options: FAST, changesAt })
    const joiner = net.nodes[4]!.key
    const leaver = net.nodes[0]!.key
    changesAt.set(3, [
      { address: joiner.address, publicKey: joiner.publicKey, power: 1n },
      { address: leaver.address, publicKey: leaver.publicKey, power: 0n }
    ])
    await net.startAll()
    expect(await net.runUntil(allReach(net, 12, [0, 1, 2, 3, 4]), 120_000)).to.equal(true)
    net.assertAgreement()
    const app = net.nodes[1]!.app
    expect(app.validatorSet(4).get(joiner.address)).to.equal(undefined)
    expect(app.validatorSet(5).get(joiner.address)).to.not.equal(undefined)
    expect(app.validatorSet(5).get(leaver.address)).to.equal(undefined)
    const signers = (h: number): Uint8Array[] => app.chain[h - 1]!.commit.signatures.map(s => s.validator)
    for (let h = 5; h <= 8; h++) {
      expect(signers(h).some(a => bytesEqual(a, leaver.address)), `leaver signed ${h}`).to.equal(false)
      verifyCommit(CHAIN_ID, app.validatorSet(h), app.chain[h - 1]!.commit)
    }
    expect([5, 6, 7, 8].some(h => signers(h).some(a => bytesEqual(a, joiner.address)))).to.equal(true)
    // The joiner proposes once its turn comes.
    expect(net.nodes[4]!.sent.some(m => m.kind === 'proposal')).to.equal(true)
  })

  it('turns a double-signed prevote into verifiable evidence and still commits', async () => {
    const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: FAST })
    const byz = [0, 1, 2, 3].find(i => i !== net.proposerIndex(1, 0))!
    const honest = [0, 1, 2, 3].filter(i => i !== byz)
    await startExcept(net, [byz])
    for (const i of honest) {
      net.send(byz, i, net.rawVote(byz, 'prevote', 1, 0, sha256(new Uint8Array([1]))), 1)
      net.send(byz, i, net.rawVote(byz, 'prevote', 1, 0, sha256(new Uint8Array([2]))), 2)
    }
    expect(await net.runUntil(allReach(net, 2, honest), 60_000)).to.equal(true)
    net.assertAgreement()
    for (const i of honest) {
      const found = net.nodes[i]!.evidence
      expect(found).to.have.length(1)
      verifyEvidence(CHAIN_ID, net.nodes[i]!.app.validatorSet(1), found[0]!)
      expect(found[0]!.voteA.validator).to.deep.equal(net.nodes[byz]!.key.address)
    }
  })

  describe('with idleProposeDelay', () => {
    const IDLE = { ...FAST, idleProposeDelay: 400 }

    it('makes an empty block per idle interval, in round 0, while the pools stay empty', async () => {
      const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: IDLE })
      for (const n of net.nodes) n.app.pendingWork = false
      const committedAt: number[] = []
      await net.startAll()
      expect(await net.runUntil(() => {
        if (net.nodes[0]!.app.chain.length > committedAt.length) committedAt.push(net.clock.now())
        return committedAt.length >= 4
      }, 60_000)).to.equal(true)
      net.assertAgreement()
      for (const c of net.nodes[0]!.app.chain) expect(c.commit.round).to.equal(0)
      // each height waits the idle interval after the commit delay, and no validator gives up on
      // the waiting proposer (that would be round 1)
      for (let i = 1; i < committedAt.length; i++) expect(committedAt[i]! - committedAt[i - 1]!).to.be.at.least(IDLE.commitDelay + IDLE.idleProposeDelay)
    })

    it('proposes the moment work arrives at a waiting proposer', async () => {
      const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: IDLE })
      for (const n of net.nodes) n.app.pendingWork = false
      await net.startAll()
      expect(await net.runUntil(allReach(net, 1, [0, 1, 2, 3]), 60_000)).to.equal(true)
      const proposer = net.nodes[net.proposerIndex(2, 0)]!
      expect(await net.runUntil(() => proposer.engine!.waitingForWork, 10_000)).to.equal(true)
      const arrived = net.clock.now()
      proposer.app.pendingWork = true
      proposer.engine!.workAvailable()
      expect(await net.runUntil(allReach(net, 2, [0, 1, 2, 3]), 10_000)).to.equal(true)
      net.assertAgreement()
      expect(net.nodes[0]!.app.chain[1]!.commit.round).to.equal(0)
      // three message hops of 10 ms, not the 400 ms idle interval
      expect(net.clock.now() - arrived).to.be.below(100)
    })

    it('does not wait when the pool has work, and refuses a delay that reaches proposeBase', async () => {
      const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: IDLE })
      await net.startAll()
      expect(await net.runUntil(allReach(net, 3, [0, 1, 2, 3]), 60_000)).to.equal(true)
      // three heights at the commit delay's pace, far below three idle intervals
      expect(net.clock.now()).to.be.below(3 * IDLE.idleProposeDelay)
      expect(() => resolveConsensusOptions({ ...FAST, idleProposeDelay: FAST.proposeBase })).to.throw(/idleProposeDelay/)
    })
  })
})
