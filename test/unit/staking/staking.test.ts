import { expect } from 'chai'
import { getSupply, getShares, stakingKeys, MIN_SELF_STAKE } from '../../../src/state/index.js'
import {
  FOL, UNBONDING, BALANCE, openStakingChain, Sender, commit, run, balanceOf, validatorOf, inSet, expectSupplyConserved,
  consensusKey, users, genesisKeys, genesisOperators
} from './fixture.js'

const escrowKey = new Uint8Array(32).fill(9)

function create (s: Sender, from: typeof users[number], key: ReturnType<typeof consensusKey>, selfStake: bigint): ReturnType<Sender['tx']> {
  return s.tx(from, 'validator.create', { consensusKey: key.publicKey, escrowKey, selfStake, moniker: 'newcomer' })
}

describe('staking: genesis', () => {
  it('bonds each genesis validator\'s power as self-stake and records the supply', async () => {
    const chain = await openStakingChain()
    const v = await validatorOf(chain, genesisKeys[0]!.address)
    expect(v).to.deep.include({ tokens: 10n * FOL, totalShares: 10n * FOL, selfShares: 10n * FOL, jailed: false })
    expect(await getShares(chain.overlay(), genesisKeys[0]!.address, genesisOperators[0]!.address)).to.equal(10n * FOL)
    const s = await getSupply(chain.overlay())
    expect(s).to.deep.equal({ supply: 8n * BALANCE + 20n * FOL, burned: 0n, bonded: 20n * FOL, unbonding: 0n })
    for (const h of [1, 2]) {
      expect(chain.validators(h).map(x => x.power)).to.deep.equal([10n, 10n])
    }
    // height 2's priorities are height 1's after one round, so the two differ
    expect(chain.validators(2).map(x => x.proposerPriority)).to.not.deep.equal(chain.validators(1).map(x => x.proposerPriority))
    await expectSupplyConserved(chain)
  })
})

describe('staking: validator.create', () => {
  it('refuses a self-stake under 1 FOL, keeping the fee and bonding nothing', async () => {
    const chain = await openStakingChain()
    const s = new Sender()
    const tx = create(s, users[0]!, consensusKey('a'), MIN_SELF_STAKE - 1n)
    const r = await run(chain, tx)
    expect(r).to.include({ ok: false, code: 'INVALID_AMOUNT' })
    expect(r.message).to.match(/at least 1000000 ufol/)
    expect(await balanceOf(chain, users[0]!.address)).to.equal(BALANCE - tx.fee)
    expect(await validatorOf(chain, consensusKey('a').address)).to.equal(undefined)
    await expectSupplyConserved(chain)
  })

  it('refuses a consensus key already used, by a genesis validator or a created one', async () => {
    const chain = await openStakingChain()
    const s = new Sender()
    expect(await run(chain, create(s, users[0]!, genesisKeys[1]!, 5n * FOL))).to.include({ ok: false, code: 'ALREADY_EXISTS' })
    const key = consensusKey('b')
    expect(await run(chain, create(s, users[0]!, key, 5n * FOL))).to.include({ ok: true })
    const again = await run(chain, create(s, users[1]!, key, 5n * FOL))
    expect(again).to.include({ ok: false, code: 'ALREADY_EXISTS' })
    expect((await validatorOf(chain, key.address))!.operator).to.deep.equal(users[0]!.address)
  })

  it('refuses a small-order consensus key and an all-zero escrow key', async () => {
    const chain = await openStakingChain()
    const s = new Sender()
    const identity = new Uint8Array(32); identity[0] = 1
    const bad = await run(chain, s.tx(users[0]!, 'validator.create', { consensusKey: identity, escrowKey, selfStake: FOL, moniker: 'x' }))
    expect(bad).to.include({ ok: false, code: 'INVALID_TX' })
    const zero = await run(chain, s.tx(users[0]!, 'validator.create', { consensusKey: consensusKey('z').publicKey, escrowKey: new Uint8Array(32), selfStake: FOL, moniker: 'x' }))
    expect(zero).to.include({ ok: false, code: 'INVALID_TX' })
  })

  it('joins the set at h + 2, not h + 1, with power = stake / 1 FOL and its escrow key', async () => {
    const chain = await openStakingChain()
    const s = new Sender()
    await commit(chain)
    await commit(chain)
    const key = consensusKey('joiner')
    const committed = await commit(chain, [create(s, users[2]!, key, 7n * FOL + 999_999n)])
    const h = committed.height
    expect(committed.executed[0]!.result.ok).to.equal(true)
    expect(inSet(chain, h, key.address)).to.equal(false)
    expect(inSet(chain, h + 1, key.address)).to.equal(false)
    expect(inSet(chain, h + 2, key.address)).to.equal(true)
    const member = chain.validators(h + 2).find(v => Buffer.compare(v.address, key.address) === 0)!
    expect(member).to.deep.include({ power: 7n, name: 'newcomer' })
    expect(member.escrowKey).to.deep.equal(escrowKey)
    expect(member.operator).to.deep.equal(users[2]!.address)
    // and it stays once h + 2 is committed
    await commit(chain)
    await commit(chain)
    expect(inSet(chain, h + 3, key.address)).to.equal(true)
    await expectSupplyConserved(chain)
  })
})

describe('staking: delegate and undelegate', () => {
  it('refuses non-positive amounts, unknown validators and more than the balance', async () => {
    const chain = await openStakingChain()
    const s = new Sender()
    const v = genesisKeys[0]!.address
    expect(await run(chain, s.tx(users[0]!, 'stake.delegate', { validator: v, amount: 0n }))).to.include({ ok: false, code: 'INVALID_AMOUNT' })
    expect(await run(chain, s.tx(users[0]!, 'stake.delegate', { validator: users[3]!.address, amount: FOL }))).to.include({ ok: false, code: 'NOT_FOUND' })
    expect(await run(chain, s.tx(users[0]!, 'stake.delegate', { validator: v, amount: BALANCE * 2n }))).to.include({ ok: false, code: 'INSUFFICIENT_FUNDS' })
    expect(await run(chain, s.tx(users[0]!, 'stake.undelegate', { validator: v, amount: 0n }))).to.include({ ok: false, code: 'INVALID_AMOUNT' })
    expect(await run(chain, s.tx(users[0]!, 'stake.undelegate', { validator: v, amount: FOL }))).to.include({ ok: false, code: 'NOT_FOUND' })
    await expectSupplyConserved(chain)
  })

  it('raises the validator\'s power from h + 2 and refuses undelegating more than the stake', async () => {
    const chain = await openStakingChain()
    const s = new Sender()
    const v = genesisKeys[0]!.address
    const c = await commit(chain, [s.tx(users[0]!, 'stake.delegate', { validator: v, amount: 5n * FOL })])
    expect(c.executed[0]!.result.ok).to.equal(true)
    const power = (h: number): bigint => chain.validators(h).find(x => Buffer.compare(x.address, v) === 0)!.power
    expect(power(c.height + 1)).to.equal(10n)
    expect(power(c.height + 2)).to.equal(15n)
    const r = await run(chain, s.tx(users[0]!, 'stake.undelegate', { validator: v, amount: 5n * FOL + 1n }))
    expect(r).to.include({ ok: false, code: 'INVALID_AMOUNT' })
    expect(r.message).to.match(/stake with this validator is 5000000 ufol/)
    await expectSupplyConserved(chain)
  })

  it('returns undelegated stake exactly at the end of the block unbondingBlocks later', async () => {
    const chain = await openStakingChain()
    const s = new Sender()
    const v = genesisKeys[1]!.address
    await commit(chain, [s.tx(users[1]!, 'stake.delegate', { validator: v, amount: 3n * FOL })])
    const before = await balanceOf(chain, users[1]!.address)
    const tx = s.tx(users[1]!, 'stake.undelegate', { validator: v, amount: 2n * FOL + 5n })
    const c = await commit(chain, [tx])
    expect(c.executed[0]!.result.ok).to.equal(true)
    expect(await balanceOf(chain, users[1]!.address)).to.equal(before - tx.fee)
    expect((await getSupply(chain.overlay())).unbonding).to.equal(2n * FOL + 5n)
    await expectSupplyConserved(chain)
    while (chain.head().height < c.height + UNBONDING - 1) await commit(chain)
    expect(await balanceOf(chain, users[1]!.address)).to.equal(before - tx.fee)
    await commit(chain)
    expect(chain.head().height).to.equal(c.height + UNBONDING)
    expect(await balanceOf(chain, users[1]!.address)).to.equal(before - tx.fee + 2n * FOL + 5n)
    expect(await chain.state.get(stakingKeys.unbonding(c.height + UNBONDING))).to.equal(undefined)
    expect((await getSupply(chain.overlay())).unbonding).to.equal(0n)
    await expectSupplyConserved(chain)
  })

  it('a validator leaves at h + 2 when its operator\'s self-stake drops under 1 FOL, delegators or not', async () => {
    const chain = await openStakingChain()
    const s = new Sender()
    const key = consensusKey('leaver')
    await commit(chain, [create(s, users[3]!, key, 3n * FOL)])
    await commit(chain, [s.tx(users[4]!, 'stake.delegate', { validator: key.address, amount: 4n * FOL })])
    await commit(chain)
    expect(inSet(chain, chain.head().height + 1, key.address)).to.equal(true)
    const c = await commit(chain, [s.tx(users[3]!, 'stake.undelegate', { validator: key.address, amount: 2n * FOL + 1n })])
    expect(c.executed[0]!.result.ok).to.equal(true)
    expect(inSet(chain, c.height + 1, key.address)).to.equal(true)
    expect(inSet(chain, c.height + 2, key.address)).to.equal(false)
    // the delegator's stake is intact and can leave too
    const d = await run(chain, s.tx(users[4]!, 'stake.undelegate', { validator: key.address, amount: 4n * FOL }))
    expect(d.ok).to.equal(true)
    await expectSupplyConserved(chain)
  })

  it('the last shares out take every remaining token', async () => {
    const chain = await openStakingChain()
    const s = new Sender()
    const key = consensusKey('solo')
    await commit(chain, [create(s, users[5]!, key, 2n * FOL)])
    expect(await run(chain, s.tx(users[5]!, 'stake.undelegate', { validator: key.address, amount: 2n * FOL }))).to.include({ ok: true })
    expect(await validatorOf(chain, key.address)).to.deep.include({ tokens: 0n, totalShares: 0n, selfShares: 0n })
    expect(await getShares(chain.overlay(), key.address, users[5]!.address)).to.equal(0n)
    await expectSupplyConserved(chain)
  })
})
