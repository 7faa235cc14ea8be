/**
 * The devnet path: one validator proposes, prevotes, precommits and commits alone, at the
 * configured block interval, each block carrying the previous block's commit.
 */
import { expect } from 'chai'
import { decodeSimBlock, SimNetwork } from './sim.js'
import { devnetConsensusOptions } from '../../../src/consensus/options.js'
import { commitHash } from '../../../src/blocks/consensusMessages.js'

describe('consensus engine, single validator', () => {
  it('commits empty blocks about once per minBlockInterval', async () => {
    const net = new SimNetwork({ powers: [10n], options: devnetConsensusOptions })
    await net.startAll()
    await net.runFor(10_500)
    const chain = net.nodes[0]!.app.chain
    // Heights start at t = 0, 1000, ..., 10000: eleven blocks in 10.5 s.
    expect(chain.length).to.equal(11)
    for (const [i, c] of chain.entries()) {
      expect(c.height).to.equal(i + 1)
      expect(c.commit.signatures).to.have.length(1)
      expect(c.commit.round).to.equal(0)
      const block = decodeSimBlock(c.bytes)
      if (i === 0) expect(block.lastCommit).to.equal(null)
      else expect(commitHash(block.lastCommit!)).to.deep.equal(commitHash(chain[i - 1]!.commit))
    }
    expect(net.nodes[0]!.engine!.status).to.include({ height: 11, step: 'commit' })
  })

  it('honours a different block interval and commit delay', async () => {
    const net = new SimNetwork({ powers: [1n], options: { ...devnetConsensusOptions, minBlockInterval: 250, commitDelay: 100 } })
    await net.startAll()
    await net.runFor(1_010)
    expect(net.nodes[0]!.app.chain.length).to.equal(5) // starts at 0, 250, 500, 750, 1000
  })

  it('syncs its own votes and proposal to the WAL and the sign guard before broadcasting', async () => {
    const net = new SimNetwork({ powers: [1n], options: devnetConsensusOptions })
    const node = net.nodes[0]!
    await net.startAll()
    await net.runUntil(() => node.app.chain.length >= 1, 5_000)
    expect(node.sent.map(m => m.kind === 'vote' ? m.vote.type : 'proposal')).to.deep.equal(['proposal', 'prevote', 'precommit'])
    expect(node.guardStore.saves).to.equal(3)
    // Three synced own messages, then the end-of-height marker.
    expect(node.wal.syncs).to.equal(4)
  })
})

describe('consensus engine, application failures', () => {
  it('retries a commit the application failed to apply, without deciding anything else', async () => {
    const net = new SimNetwork({ powers: [1n], options: devnetConsensusOptions })
    const app = net.nodes[0]!.app
    const real = app.commitBlock.bind(app)
    let failures = 2
    app.commitBlock = async (h, b, c) => {
      if (failures > 0) { failures--; throw new Error('disk full') }
      await real(h, b, c)
    }
    await net.startAll()
    await net.runFor(2_500)
    expect(failures).to.equal(0)
    expect(app.chain.length).to.be.greaterThan(0)
    expect(app.chain[0]!.commit.round).to.equal(0)
    expect(net.nodes[0]!.sent.filter(m => m.kind === 'proposal' && m.proposal.height === 1)).to.have.length(1)
  })
})
