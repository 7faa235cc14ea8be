/**
 * The sign guard: monotonic (height, round, step), identical re-signs allowed, conflicting ones
 * refused, and the position persisted before any signature is returned.
 */
import { expect } from 'chai'
import { ed25519Verify } from '../../../src/crypto/index.js'
import { proposalSigningBytes, voteSigningBytes } from '../../../src/blocks/consensusMessages.js'
import { ConsensusError } from '../../../src/consensus/errors.js'
import { MemorySignGuardStore, SignGuard } from '../../../src/consensus/signGuard.js'
import type { LastSigned, SignGuardStore } from '../../../src/consensus/signGuard.js'
import { simKey } from './sim.js'

const key = simKey('guard')
const A = new Uint8Array(32).fill(1)
const B = new Uint8Array(32).fill(2)
const vote = (type: 'prevote' | 'precommit', height: number, round: number, blockHash: Uint8Array | null) =>
  ({ type, height, round, blockHash, validator: key.address })

async function refused (p: Promise<unknown>): Promise<void> {
  try {
    await p
  } catch (err) {
    expect(err).to.be.instanceOf(ConsensusError)
    expect((err as ConsensusError).code).to.equal('SIGN_REFUSED')
    return
  }
  throw new Error('expected the guard to refuse')
}

describe('SignGuard', () => {
  it('signs valid signatures and moves forward through steps, rounds and heights', async () => {
    const guard = await SignGuard.open(key.secretKey, new MemorySignGuardStore())
    const p = { height: 1, round: 0, validRound: -1, blockHash: A, proposer: key.address }
    const sig = await guard.signProposal('c', p)
    expect(ed25519Verify(key.publicKey, proposalSigningBytes('c', p), sig)).to.equal(true)
    const v = vote('prevote', 1, 0, A)
    expect(ed25519Verify(key.publicKey, voteSigningBytes('c', v), await guard.signVote('c', v))).to.equal(true)
    await guard.signVote('c', vote('precommit', 1, 0, A))
    await guard.signVote('c', vote('prevote', 1, 3, null))
    await guard.signVote('c', vote('prevote', 2, 0, B))
    expect(guard.lastSigned).to.include({ height: 2, round: 0, step: 'prevote' })
  })

  it('refuses anything before the last signed position', async () => {
    const guard = await SignGuard.open(key.secretKey, new MemorySignGuardStore())
    await guard.signVote('c', vote('precommit', 5, 2, A))
    await refused(guard.signVote('c', vote('prevote', 5, 2, A)))
    await refused(guard.signVote('c', vote('precommit', 5, 1, A)))
    await refused(guard.signVote('c', vote('precommit', 4, 9, A)))
    await refused(guard.signProposal('c', { height: 5, round: 2, validRound: -1, blockHash: A, proposer: key.address }))
  })

  it('re-signs identical bytes with the same signature but refuses a conflicting value', async () => {
    const store = new MemorySignGuardStore()
    const guard = await SignGuard.open(key.secretKey, store)
    const first = await guard.signVote('c', vote('prevote', 3, 0, A))
    expect(await guard.signVote('c', vote('prevote', 3, 0, A))).to.deep.equal(first)
    expect(store.saves).to.equal(1)
    await refused(guard.signVote('c', vote('prevote', 3, 0, B)))
    await refused(guard.signVote('c', vote('prevote', 3, 0, null)))
    // Same position on another chain is different bytes: refused too.
    await refused(guard.signVote('other', vote('prevote', 3, 0, A)))
  })

  it('survives a restart through its store', async () => {
    const store = new MemorySignGuardStore()
    await (await SignGuard.open(key.secretKey, store)).signVote('c', vote('precommit', 7, 1, A))
    const reopened = await SignGuard.open(key.secretKey, store)
    await refused(reopened.signVote('c', vote('precommit', 7, 1, B)))
    await refused(reopened.signVote('c', vote('prevote', 7, 1, A)))
    await reopened.signVote('c', vote('prevote', 7, 2, B))
  })

  it('returns no signature when persisting fails, and serializes concurrent requests', async () => {
    let fail = true
    const saved: LastSigned[] = []
    const store: SignGuardStore = {
      load: async () => null,
      save: async (ls) => { if (fail) throw new Error('disk full'); saved.push(ls) }
    }
    const guard = await SignGuard.open(key.secretKey, store)
    let err: unknown
    try { await guard.signVote('c', vote('prevote', 1, 0, A)) } catch (e) { err = e }
    expect(err).to.be.instanceOf(Error)
    expect(guard.lastSigned).to.equal(null)
    fail = false
    const results = await Promise.allSettled([
      guard.signVote('c', vote('prevote', 2, 0, A)),
      guard.signVote('c', vote('prevote', 2, 0, B))
    ])
    expect(results.map(r => r.status)).to.deep.equal(['fulfilled', 'rejected'])
    expect(saved).to.have.length(1)
  })
})
