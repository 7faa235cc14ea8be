import { expect } from 'chai'
import { sha256 } from '../../../src/crypto/index.js'
import { utf8 } from '../../../src/codec/index.js'
import { encodeEvidence, evidenceHash, makeDuplicateVoteEvidence } from '../../../src/consensus/index.js'
import { buildEvidenceTx, getSupply, getShares, sharesToTokens, stakingKeys, decodeVotePair } from '../../../src/state/index.js'
import {
  FOL, openStakingChain, Sender, commit, run, balanceOf, validatorOf, inSet, expectSupplyConserved,
  signedVote, users, genesisKeys
} from './fixture.js'

const blockA = sha256(utf8('block A'))
const blockB = sha256(utf8('block B'))
const offender = genesisKeys[1]!

function doubleSign (height: number, key = offender): ReturnType<typeof makeDuplicateVoteEvidence> {
  return makeDuplicateVoteEvidence(
    signedVote(key, height, 0, 'precommit', blockA),
    signedVote(key, height, 0, 'precommit', blockB))
}

describe('staking: evidence.submit', () => {
  it('wraps consensus evidence in its canonical bytes, whatever the order of the votes', () => {
    const ev = doubleSign(3)
    const body = buildEvidenceTx(ev)
    expect(body.evidence).to.deep.equal(encodeEvidence(ev))
    expect(buildEvidenceTx({ voteA: ev.voteB, voteB: ev.voteA }).evidence).to.deep.equal(encodeEvidence(ev))
    expect(sha256(body.evidence)).to.deep.equal(evidenceHash(ev))
    expect(decodeVotePair(body.evidence)).to.deep.equal(ev)
  })

  it('slashes exactly, jails from h + 2, rewards the submitter, burns the rest and refuses a replay', async () => {
    const chain = await openStakingChain()
    const s = new Sender()
    // a delegator with 6 FOL behind the offender shares the slash in proportion
    await commit(chain, [s.tx(users[0]!, 'stake.delegate', { validator: offender.address, amount: 6n * FOL })])
    await commit(chain)
    const submitter = users[1]!
    const before = await balanceOf(chain, submitter.address)
    const tx = s.tx(submitter, 'evidence.submit', buildEvidenceTx(doubleSign(2)))
    const c = await commit(chain, [tx])
    expect(c.executed[0]!.result).to.deep.equal({ ok: true })

    const slashed = 16n * FOL * 500n / 10_000n // 800_000 ufol: 5% of 16 FOL
    const reward = slashed * 1_000n / 10_000n // 10% of it
    const v = (await validatorOf(chain, offender.address))!
    expect(v.tokens).to.equal(16n * FOL - slashed)
    expect(v.jailed).to.equal(true)
    expect(await balanceOf(chain, submitter.address)).to.equal(before - tx.fee + reward)
    const supply = await getSupply(chain.overlay())
    expect(supply.burned).to.equal(slashed - reward)
    const delegated = sharesToTokens(v, await getShares(chain.overlay(), offender.address, users[0]!.address))
    expect(delegated).to.equal(6n * FOL * 95n / 100n)
    expect(sharesToTokens(v, v.selfShares)).to.equal(10n * FOL * 95n / 100n)
    expect(await chain.state.get(stakingKeys.evidence(sha256(tx.body.evidence as Uint8Array)))).to.not.equal(undefined)

    expect(inSet(chain, c.height + 1, offender.address)).to.equal(true)
    expect(inSet(chain, c.height + 2, offender.address)).to.equal(false)
    expect(chain.validators(c.height + 2).map(x => x.address)).to.deep.equal([genesisKeys[0]!.address])
    await expectSupplyConserved(chain)

    const replay = await run(chain, s.tx(users[2]!, 'evidence.submit', buildEvidenceTx(doubleSign(2))))
    expect(replay).to.include({ ok: false, code: 'ALREADY_EXISTS' })
    // a different offence by the same, now jailed, validator slashes nothing more
    const second = await run(chain, s.tx(users[2]!, 'evidence.submit', buildEvidenceTx(doubleSign(3))))
    expect(second).to.include({ ok: false, code: 'NOT_ALLOWED' })
    expect((await validatorOf(chain, offender.address))!.tokens).to.equal(16n * FOL - slashed)
    // a jailed validator takes no new delegations
    expect(await run(chain, s.tx(users[2]!, 'stake.delegate', { validator: offender.address, amount: FOL }))).to.include({ ok: false, code: 'NOT_ALLOWED' })
    await expectSupplyConserved(chain)
  })

  it('slashes undelegations started after the offence, not those started before', async () => {
    const chain = await openStakingChain({ unbondingBlocks: 20 })
    const s = new Sender()
    await commit(chain, [s.tx(users[0]!, 'stake.delegate', { validator: offender.address, amount: 4n * FOL }),
      s.tx(users[1]!, 'stake.delegate', { validator: offender.address, amount: 4n * FOL })])
    const early = await commit(chain, [s.tx(users[0]!, 'stake.undelegate', { validator: offender.address, amount: 2n * FOL })])
    const offenceHeight = early.height + 1
    await commit(chain)
    await commit(chain, [s.tx(users[1]!, 'stake.undelegate', { validator: offender.address, amount: 2n * FOL })])
    const c = await commit(chain, [s.tx(users[2]!, 'evidence.submit', buildEvidenceTx(doubleSign(offenceHeight)))])
    expect(c.executed[0]!.result.ok).to.equal(true)
    const u0 = await balanceOf(chain, users[0]!.address)
    const u1 = await balanceOf(chain, users[1]!.address)
    while (chain.head().height < c.height + 20) await commit(chain)
    expect(await balanceOf(chain, users[0]!.address) - u0).to.equal(2n * FOL)
    expect(await balanceOf(chain, users[1]!.address) - u1).to.equal(2n * FOL * 95n / 100n)
    await expectSupplyConserved(chain)
  })

  it('refuses evidence older than the window, from a future height, forged, or not conflicting', async () => {
    const chain = await openStakingChain({ unbondingBlocks: 3 })
    const s = new Sender()
    for (let i = 0; i < 6; i++) await commit(chain)
    // window = min(unbondingBlocks, 1000) = 3; the next block is 7, so height 3 is too old
    const old = await run(chain, s.tx(users[0]!, 'evidence.submit', buildEvidenceTx(doubleSign(3))))
    expect(old).to.include({ ok: false, code: 'NOT_ALLOWED' })
    expect(old.message).to.match(/older than 3 blocks/)
    const future = await run(chain, s.tx(users[0]!, 'evidence.submit', buildEvidenceTx(doubleSign(chain.head().height + 5))))
    expect(future).to.include({ ok: false, code: 'INVALID_TX' })
    const forgedB = { ...signedVote(offender, 7, 0, 'prevote', blockB), signature: signedVote(genesisKeys[0]!, 7, 0, 'prevote', blockB).signature }
    const forged = makeDuplicateVoteEvidence(signedVote(offender, 7, 0, 'prevote', blockA), forgedB)
    expect(await run(chain, s.tx(users[0]!, 'evidence.submit', buildEvidenceTx(forged)))).to.include({ ok: false, code: 'INVALID_TX' })
    const rounds = makeDuplicateVoteEvidence(signedVote(offender, 8, 0, 'prevote', blockA), signedVote(offender, 8, 1, 'prevote', blockB))
    const r = await run(chain, s.tx(users[0]!, 'evidence.submit', buildEvidenceTx(rounds)))
    expect(r).to.include({ ok: false, code: 'INVALID_TX' })
    expect(r.message).to.match(/different heights, rounds or types/)
    const stranger = { ...genesisKeys[0]!, address: users[3]!.address }
    const notMember = await run(chain, s.tx(users[0]!, 'evidence.submit', buildEvidenceTx(doubleSign(9, stranger))))
    expect(notMember).to.include({ ok: false, code: 'INVALID_TX' })
    expect(notMember.message).to.match(/was not a validator/)
    expect((await validatorOf(chain, offender.address))!.jailed).to.equal(false)
    await expectSupplyConserved(chain)
  })
})
