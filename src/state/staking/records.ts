/**
 * State records of staking (MISSION.md §4). All live under `s/` and so are covered by the state
 * root and provable.
 *
 *   s/stk.v/<consAddr>              validator: keys, operator, moniker, bonded tokens, shares, jailed
 *   s/stk.d/<consAddr><delegator>   a delegation, in shares of the validator's tokens
 *   s/stk.all                       consensus addresses of every validator ever created
 *   s/stk.u/<height>                undelegations that mature (are paid out) at the end of <height>
 *   s/stk.s                         supply accounting: supply, burned, bonded, unbonding
 *   s/stk.e/<evidenceHash>          evidence already punished (replay guard)
 *   s/stk.set/<height>              the validator set that signs <height> (see validatorSetRecord.ts)
 *
 * Delegations are shares, not amounts, so that slashing a validator is one write: reducing its
 * tokens reduces every delegator's stake in proportion, without visiting each delegation.
 */
import { bool, bytes, list, optional, string, struct, u53, uint, type Infer } from '../../codec/index.js'
import { STAKING_LIMITS } from '../../blocks/index.js'
import type { StateOverlay } from '../overlay.js'
import { heightKey, stateKey } from '../keys.js'
import { StateError } from '../errors.js'
import { encodeAddress } from '../../crypto/index.js'

/** 1 FOL in ufol: the unit of voting power. */
export const POWER_UNIT = 1_000_000n
/** A validator needs this much self-stake to be created, and to stay eligible for the set. */
export const MIN_SELF_STAKE = POWER_UNIT
/** The active set is the top validators by power (ties: lower address first). */
export const MAX_VALIDATORS = 100
/** Evidence older than this many blocks is refused, whatever `unbondingBlocks` is (bounds kept set records). */
export const MAX_EVIDENCE_AGE_BLOCKS = 1_000
export const BPS = 10_000n

export const ValidatorRecord = struct({
  consensusKey: bytes({ len: 32 }),
  operator: bytes({ len: 20 }),
  escrowKey: optional(bytes({ len: 32 })),
  moniker: string({ max: STAKING_LIMITS.monikerChars }),
  /** Bonded ufol: self-stake and delegations, less slashes. */
  tokens: uint(),
  /** Shares outstanding over `tokens`; a delegation owns shares / totalShares of the tokens. */
  totalShares: uint(),
  /** The operator's own shares, so eligibility (self-stake ≥ 1 FOL) needs no extra read. */
  selfShares: uint(),
  jailed: bool(),
  createdHeight: u53()
})
export type ValidatorRecordValue = Infer<typeof ValidatorRecord>

export const DelegationRecord = struct({ shares: uint() })

export const ValidatorList = struct({ addresses: list(bytes({ len: 20 })) })

export const UnbondingEntry = struct({
  delegator: bytes({ len: 20 }),
  validator: bytes({ len: 20 }),
  amount: uint(),
  /** Height of the undelegation: an offence before it still slashes this entry. */
  startHeight: u53()
})
export type UnbondingEntryValue = Infer<typeof UnbondingEntry>
export const UnbondingQueue = struct({ entries: list(UnbondingEntry) })

export const SupplyRecord = struct({
  /** Every ufol that exists: balances + bonded + unbonding. */
  supply: uint(),
  /** Destroyed by slashing, cumulative; supply + burned is the genesis supply. */
  burned: uint(),
  bonded: uint(),
  unbonding: uint()
})
export type SupplyRecordValue = Infer<typeof SupplyRecord>

export const EvidenceRecord = struct({ height: u53(), offender: bytes({ len: 20 }), slashed: uint() })

export const stakingKeys = {
  validator: (addr: Uint8Array) => stateKey('stk.v', addr),
  validatorPrefix: stateKey('stk.v'),
  delegation: (validator: Uint8Array, delegator: Uint8Array) => stateKey('stk.d', validator, delegator),
  all: stateKey('stk.all'),
  unbonding: (height: number) => stateKey('stk.u', heightKey(height)),
  supply: stateKey('stk.s'),
  evidence: (hash: Uint8Array) => stateKey('stk.e', hash),
  set: (height: number) => stateKey('stk.set', heightKey(height)),
  setPrefix: stateKey('stk.set')
}

export async function getValidator (state: StateOverlay, addr: Uint8Array): Promise<ValidatorRecordValue | undefined> {
  const b = await state.get(stakingKeys.validator(addr))
  return b === undefined ? undefined : ValidatorRecord.fromBytes(b)
}

export async function requireValidator (state: StateOverlay, addr: Uint8Array): Promise<ValidatorRecordValue> {
  const v = await getValidator(state, addr)
  if (v === undefined) throw new StateError('NOT_FOUND', `no validator with consensus address ${encodeAddress(addr)}`)
  return v
}

export function putValidator (state: StateOverlay, addr: Uint8Array, v: ValidatorRecordValue): void {
  state.put(stakingKeys.validator(addr), ValidatorRecord.toBytes(v))
}

export async function getShares (state: StateOverlay, validator: Uint8Array, delegator: Uint8Array): Promise<bigint> {
  const b = await state.get(stakingKeys.delegation(validator, delegator))
  return b === undefined ? 0n : DelegationRecord.fromBytes(b).shares
}

export function putShares (state: StateOverlay, validator: Uint8Array, delegator: Uint8Array, shares: bigint): void {
  if (shares === 0n) state.del(stakingKeys.delegation(validator, delegator))
  else state.put(stakingKeys.delegation(validator, delegator), DelegationRecord.toBytes({ shares }))
}

export async function listValidators (state: StateOverlay): Promise<Uint8Array[]> {
  const b = await state.get(stakingKeys.all)
  return b === undefined ? [] : ValidatorList.fromBytes(b).addresses
}

export function putValidatorList (state: StateOverlay, addresses: Uint8Array[]): void {
  state.put(stakingKeys.all, ValidatorList.toBytes({ addresses }))
}

export async function getUnbonding (state: StateOverlay, height: number): Promise<UnbondingEntryValue[]> {
  const b = await state.get(stakingKeys.unbonding(height))
  return b === undefined ? [] : UnbondingQueue.fromBytes(b).entries
}

export function putUnbonding (state: StateOverlay, height: number, entries: UnbondingEntryValue[]): void {
  if (entries.length === 0) state.del(stakingKeys.unbonding(height))
  else state.put(stakingKeys.unbonding(height), UnbondingQueue.toBytes({ entries }))
}

export async function getSupply (state: StateOverlay): Promise<SupplyRecordValue> {
  const b = await state.get(stakingKeys.supply)
  if (b === undefined) throw new StateError('CORRUPT_STATE', 'the supply record is missing (state was created before staking existed)')
  return SupplyRecord.fromBytes(b)
}

export function putSupply (state: StateOverlay, s: SupplyRecordValue): void {
  state.put(stakingKeys.supply, SupplyRecord.toBytes(s))
}

/** ufol a holder of `shares` owns (rounded down: rounding never pays out more than exists). */
export function sharesToTokens (v: ValidatorRecordValue, shares: bigint): bigint {
  return v.totalShares === 0n ? 0n : shares * v.tokens / v.totalShares
}

/** Voting power of a validator's bonded tokens: whole FOL. */
export function powerOf (tokens: bigint): bigint {
  return tokens / POWER_UNIT
}

/** In the set's candidate pool: not jailed, ≥ 1 FOL of power, operator keeps ≥ 1 FOL self-stake. */
export function isEligible (v: ValidatorRecordValue): boolean {
  return !v.jailed && powerOf(v.tokens) >= 1n && sharesToTokens(v, v.selfShares) >= MIN_SELF_STAKE
}

/** Blocks within which evidence of an offence is accepted. */
export function evidenceMaxAge (params: { unbondingBlocks: number }): number {
  return Math.max(1, Math.min(params.unbondingBlocks, MAX_EVIDENCE_AGE_BLOCKS))
}
