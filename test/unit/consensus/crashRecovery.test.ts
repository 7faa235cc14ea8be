/**
 * kill -9 and restart: the WAL restores the round state (locks included), a torn tail is cut off
 * rather than fatal, and with the WAL lost the sign guard alone still prevents double signing.
 */
import { expect } from 'chai'
import { bytesEqual } from '../../../src/codec/hex.js'
import type { Vote } from '../../../src/blocks/types.js'
import { MemoryWalBackend, readWalRecords } from '../../../src/consensus/wal.js'
import { SimNetwork } from './sim.js'
import type { SimMessage } from './sim.js'

const FAST = { commitDelay: 100 }

function ownVotes (sent: SimMessage[]): Vote[] {
  return sent.flatMap(m => m.kind === 'vote' ? [m.vote] : [])
}

/** Throws if two different votes were signed for one (height, round, type). */
function assertNoConflict (votes: Vote[]): void {
  const seen = new Map<string, Vote>()
  for (const v of votes) {
    const key = `${v.height}/${v.round}/${v.type}`
    const prior = seen.get(key)
    if (prior !== undefined) {
      const same = prior.blockHash === null ? v.blockHash === null : v.blockHash !== null && bytesEqual(prior.blockHash, v.blockHash)
      if (!same) throw new Error(`conflicting votes at ${key}`)
    }
    seen.set(key, v)
  }
}

/** Four validators; node x hears precommits only after 30 s, so it locks and waits at height 1. */
async function lockedAndCrashed (): Promise<{ net: SimNetwork, x: number, hashA: Uint8Array }> {
  const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: FAST })
  const x = (net.proposerIndex(1, 0) + 1) % 4
  net.delayOf = (_from, to, m) => (to === x && m.kind === 'vote' && m.vote.type === 'precommit') ? 30_000 : net.latency
  await net.startAll()
  const sentPrecommit = (): boolean => ownVotes(net.nodes[x]!.sent).some(v => v.type === 'precommit')
  expect(await net.runUntil(sentPrecommit, 10_000)).to.equal(true)
  const status = net.nodes[x]!.engine!.status
  expect(status.lockedRound).to.equal(0)
  net.crash(x)
  return { net, x, hashA: status.lockedHash! }
}

describe('consensus crash recovery', () => {
  it('replays the WAL after kill -9: the lock survives, votes are re-sent identically, and it rejoins', async () => {
    const { net, x, hashA } = await lockedAndCrashed()
    const savesBefore = net.nodes[x]!.guardStore.saves
    const sentBefore = net.nodes[x]!.sent.length
    await net.startNode(x)
    const status = net.nodes[x]!.engine!.status
    expect(status).to.include({ height: 1, round: 0, step: 'precommit', lockedRound: 0 })
    expect(status.lockedHash).to.deep.equal(hashA)
    // Replay re-signed only what it had signed: the guard returned stored signatures.
    expect(net.nodes[x]!.guardStore.saves).to.equal(savesBefore)
    const resent = net.nodes[x]!.sent.slice(sentBefore)
    expect(resent.map(m => m.kind === 'vote' ? m.vote.type : 'proposal')).to.deep.equal(['prevote', 'precommit'])
    const before = net.nodes[x]!.sent.slice(0, sentBefore)
    for (const m of resent) expect(before.some(b => b.kind === 'vote' && m.kind === 'vote' && bytesEqual(b.vote.signature, m.vote.signature))).to.equal(true)
    net.delayOf = () => net.latency
    net.regossip()
    expect(await net.runUntil(() => net.heights().every(h => h >= 3), 60_000)).to.equal(true)
    net.assertAgreement()
    assertNoConflict(ownVotes(net.nodes[x]!.sent))
  })

  it('truncates a torn WAL tail on start and carries on', async () => {
    const { net, x } = await lockedAndCrashed()
    const wal = net.nodes[x]!.wal
    const valid = wal.bytes.length
    wal.bytes = Uint8Array.from([...wal.bytes, 0, 0, 0, 40, 1, 2, 3, 4, 9, 9])
    await net.startNode(x)
    expect(readWalRecords(wal.bytes).tail).to.equal(null)
    expect(wal.bytes.length).to.be.at.least(valid)
    expect(net.nodes[x]!.engine!.status.lockedRound).to.equal(0)
    net.delayOf = () => net.latency
    net.regossip()
    expect(await net.runUntil(() => net.heights().every(h => h >= 2), 60_000)).to.equal(true)
    net.assertAgreement()
  })

  it('with the WAL lost, the sign guard refuses to sign round 0 again and the node still rejoins', async () => {
    const { net, x } = await lockedAndCrashed()
    const lastSigned = await net.nodes[x]!.guardStore.load()
    net.nodes[x]!.wal = new MemoryWalBackend()
    const sentBefore = net.nodes[x]!.sent.length
    await net.startNode(x)
    net.delayOf = () => net.latency
    net.regossip()
    expect(await net.runUntil(() => net.heights().every(h => h >= 3), 60_000)).to.equal(true)
    net.assertAgreement()
    const after = ownVotes(net.nodes[x]!.sent.slice(sentBefore))
    expect(after.some(v => v.height === 1 && v.round === 0 && v.type === 'prevote'), 'signed a round-0 prevote again').to.equal(false)
    expect(lastSigned).to.include({ height: 1, round: 0, step: 'precommit' })
    assertNoConflict(ownVotes(net.nodes[x]!.sent))
  })

  it('restarts mid-chain at the next height from the app and keeps committing', async () => {
    const net = new SimNetwork({ powers: [1n, 1n, 1n, 1n], options: FAST })
    await net.startAll()
    expect(await net.runUntil(() => net.heights().every(h => h >= 3), 60_000)).to.equal(true)
    net.crash(2)
    expect(await net.runUntil(() => net.nodes[0]!.app.chain.length >= 5, 60_000)).to.equal(true)
    await net.startNode(2)
    net.regossip()
    // Node 2 missed heights it cannot rebuild without block sync; it follows once it has them.
    const lag = net.nodes[2]!.app.chain.length
    expect(net.nodes[2]!.engine!.status.height).to.equal(lag + 1)
    expect(await net.runUntil(() => net.nodes[2]!.app.chain.length > lag, 60_000)).to.equal(true)
    net.assertAgreement()
  })
})
