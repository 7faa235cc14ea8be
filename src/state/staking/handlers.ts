/**
 * Staking rules (MISSION.md §4): genesis stake, validator.create, stake.delegate, stake.undelegate
 * and the unbonding queue. Every ufol is accounted for in the supply record: moving stake between
 * balances, bonded tokens and the unbonding queue changes `bonded`/`unbonding`, never `supply`.
 */
import { addressFromPublicKey, encodeAddress, isSmallOrderPublicKey } from '../../crypto/index.js'
import { bytesEqual } from '../../codec/index.js'
import type { Genesis } from '../genesis.js'
import type { StateOverlay } from '../overlay.js'
import { registerTxHandler, type TxContext, type BlockEnv } from '../registry.js'
import { accountKey, credit, debit } from '../accounts.js'
import { StateError } from '../errors.js'
import {
  MIN_SELF_STAKE, POWER_UNIT, stakingKeys, getValidator, requireValidator, putValidator, getShares, putShares,
  listValidators, putValidatorList, getUnbonding, putUnbonding, getSupply, putSupply, sharesToTokens,
  type ValidatorRecordValue
} from './records.js'
import { writeGenesisSets } from './validatorSetRecord.js'

/**
 * Genesis: each genesis validator's power becomes bonded stake (power x 1 FOL) owned by its
 * operator as self-stake, on top of the genesis balances; the supply record starts from both.
 */
export async function stakingGenesis (genesis: Genesis, state: StateOverlay): Promise<void> {
  let bonded = 0n
  const addresses: Uint8Array[] = []
  for (const [i, g] of genesis.validators.entries()) {
    const address = addressFromPublicKey(g.publicKey)
    if (await getValidator(state, address) !== undefined) {
      throw new StateError('INVALID_GENESIS', `genesis: validators[${i}] repeats the consensus key of an earlier validator`)
    }
    const tokens = g.power * POWER_UNIT
    putValidator(state, address, {
      consensusKey: g.publicKey,
      operator: g.operator,
      escrowKey: g.escrowKey ?? null,
      moniker: g.name.slice(0, 64),
      tokens,
      totalShares: tokens,
      selfShares: tokens,
      jailed: false,
      createdHeight: 0
    })
    putShares(state, address, g.operator, tokens)
    addresses.push(address)
    bonded += tokens
  }
  putValidatorList(state, addresses)
  const balances = genesis.accounts.reduce((a, acc) => a + acc.balance, 0n)
  putSupply(state, { supply: balances + bonded, burned: 0n, bonded, unbonding: 0n })
  await writeGenesisSets(state)
}

/** Moves `amount` ufol from `delegator`'s balance into validator `v`'s bonded tokens, for shares. */
async function bond (state: StateOverlay, address: Uint8Array, v: ValidatorRecordValue, delegator: Uint8Array, amount: bigint): Promise<void> {
  // Shares are minted at the current exchange rate, rounded down: the newcomer never dilutes others.
  const shares = v.totalShares === 0n || v.tokens === 0n ? amount : amount * v.totalShares / v.tokens
  if (shares === 0n) throw new StateError('INVALID_AMOUNT', `${amount} ufol is too small to buy a share of this validator`)
  await debit(state, delegator, amount)
  const selfShares = v.selfShares + (bytesEqual(delegator, v.operator) ? shares : 0n)
  putValidator(state, address, { ...v, tokens: v.tokens + amount, totalShares: v.totalShares + shares, selfShares })
  putShares(state, address, delegator, await getShares(state, address, delegator) + shares)
  const s = await getSupply(state)
  putSupply(state, { ...s, bonded: s.bonded + amount })
}

registerTxHandler({
  type: 'validator.create',
  readSet: (tx) => [stakingKeys.validator(addressFromPublicKey(tx.body.consensusKey as Uint8Array)), stakingKeys.all, stakingKeys.supply],
  spend: (tx) => tx.body.selfStake as bigint,
  apply: async (ctx: TxContext) => {
    const { consensusKey, escrowKey, selfStake, moniker } = ctx.tx.body as {
      consensusKey: Uint8Array, escrowKey: Uint8Array, selfStake: bigint, moniker: string
    }
    // Rule: a validator bonds at least 1 FOL of its own, so that it has power and something to lose.
    if (selfStake < MIN_SELF_STAKE) {
      throw new StateError('INVALID_AMOUNT', `self-stake must be at least ${MIN_SELF_STAKE} ufol (1 FOL), got ${selfStake}`)
    }
    // Rule: a consensus key that cannot be verified against would let its holder sign anything.
    if (isSmallOrderPublicKey(consensusKey)) throw new StateError('INVALID_TX', 'consensus key is a small-order point; generate a real Ed25519 key')
    if (escrowKey.every(b => b === 0)) throw new StateError('INVALID_TX', 'escrow key is all zeros; give the X25519 public key of the validator')
    // Rule: one validator per consensus key, genesis validators included (its address is the key's hash).
    const address = addressFromPublicKey(consensusKey)
    if (await getValidator(ctx.state, address) !== undefined) {
      throw new StateError('ALREADY_EXISTS', `a validator with consensus key address ${encodeAddress(address)} already exists`)
    }
    const fresh: ValidatorRecordValue = {
      consensusKey,
      operator: ctx.sender,
      escrowKey,
      moniker,
      tokens: 0n,
      totalShares: 0n,
      selfShares: 0n,
      jailed: false,
      createdHeight: ctx.height
    }
    await bond(ctx.state, address, fresh, ctx.sender, selfStake)
    putValidatorList(ctx.state, [...await listValidators(ctx.state), address])
  }
})

registerTxHandler({
  type: 'stake.delegate',
  readSet: (tx, sender) => [stakingKeys.validator(tx.body.validator as Uint8Array), stakingKeys.delegation(tx.body.validator as Uint8Array, sender), stakingKeys.supply],
  spend: (tx) => tx.body.amount as bigint,
  apply: async (ctx: TxContext) => {
    const validator = ctx.tx.body.validator as Uint8Array
    const amount = ctx.tx.body.amount as bigint
    if (amount <= 0n) throw new StateError('INVALID_AMOUNT', `delegation amount must be positive, got ${amount}`)
    const v = await requireValidator(ctx.state, validator)
    // Rule: stake given to a jailed validator could never vote again; refuse rather than trap it.
    if (v.jailed) throw new StateError('NOT_ALLOWED', `validator ${encodeAddress(validator)} is jailed for double-signing; delegate to another`)
    await bond(ctx.state, validator, v, ctx.sender, amount)
  }
})

registerTxHandler({
  type: 'stake.undelegate',
  readSet: (tx, sender) => [stakingKeys.validator(tx.body.validator as Uint8Array), stakingKeys.delegation(tx.body.validator as Uint8Array, sender), stakingKeys.supply],
  apply: async (ctx: TxContext) => {
    const validator = ctx.tx.body.validator as Uint8Array
    const amount = ctx.tx.body.amount as bigint
    if (amount <= 0n) throw new StateError('INVALID_AMOUNT', `undelegation amount must be positive, got ${amount}`)
    const v = await requireValidator(ctx.state, validator)
    const shares = await getShares(ctx.state, validator, ctx.sender)
    const owned = sharesToTokens(v, shares)
    if (shares === 0n) throw new StateError('NOT_FOUND', `${encodeAddress(ctx.sender)} has no stake with validator ${encodeAddress(validator)}`)
    if (amount > owned) throw new StateError('INVALID_AMOUNT', `cannot undelegate ${amount} ufol: the stake with this validator is ${owned} ufol`)
    // Shares burned round up, so rounding never favours the one leaving.
    let burn = (amount * v.totalShares + v.tokens - 1n) / v.tokens
    if (burn > shares) burn = shares
    let released = amount
    // The last shares out take every remaining token, so no ufol is left without an owner.
    if (burn === v.totalShares) released = v.tokens
    const isSelf = bytesEqual(ctx.sender, v.operator)
    putValidator(ctx.state, validator, {
      ...v,
      tokens: v.tokens - released,
      totalShares: v.totalShares - burn,
      selfShares: isSelf ? v.selfShares - burn : v.selfShares
    })
    putShares(ctx.state, validator, ctx.sender, shares - burn)
    const matures = ctx.height + ctx.params.unbondingBlocks
    const queue = await getUnbonding(ctx.state, matures)
    queue.push({ delegator: ctx.sender, validator, amount: released, startHeight: ctx.height })
    putUnbonding(ctx.state, matures, queue)
    const s = await getSupply(ctx.state)
    putSupply(ctx.state, { ...s, bonded: s.bonded - released, unbonding: s.unbonding + released })
  }
})

/** End of block h: pays out the undelegations that entered the queue at h - unbondingBlocks. */
export async function releaseUnbonded (env: BlockEnv & { state: StateOverlay }): Promise<void> {
  const { state, height } = env
  const entries = await getUnbonding(state, height)
  if (entries.length === 0) return
  await state.prefetch(entries.map(e => accountKey(e.delegator)))
  let total = 0n
  for (const e of entries) {
    await credit(state, e.delegator, e.amount)
    total += e.amount
  }
  putUnbonding(state, height, [])
  const s = await getSupply(state)
  putSupply(state, { ...s, unbonding: s.unbonding - total })
}
