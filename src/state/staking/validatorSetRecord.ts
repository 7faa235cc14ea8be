/**
 * The validator set of each height, in committed state. The set that signs height h + 2 is fixed
 * when block h commits (MISSION.md §4: "validator-set changes take effect two heights later"):
 * the end-block hook writes `s/stk.set/<h+2>` from the validator records as block h left them, so
 * every node derives the same set from the same blocks, and a node that restarts or block-syncs
 * reads it instead of recomputing it.
 *
 * A record holds the members in address order with their power, their proposer-priority base
 * (see priorities.ts), operator, escrow key and moniker. Records older than the evidence window
 * are deleted, so state holds a bounded number of them.
 */
import { bytes, list, optional, string, struct, uint, type Infer } from '../../codec/index.js'
import { bytesEqual } from '../../codec/index.js'
import { STAKING_LIMITS } from '../../blocks/index.js'
import type { StateOverlay } from '../overlay.js'
import type { BlockEnv } from '../registry.js'
import { StateError } from '../errors.js'
import {
  MAX_VALIDATORS, stakingKeys, getValidator, listValidators, isEligible, powerOf, evidenceMaxAge,
  type ValidatorRecordValue
} from './records.js'
import { applyMembership, compareAddress, incrementPriorities, sameMembership, type PrioritizedMember } from './priorities.js'

export const SetMember = struct({
  address: bytes({ len: 20 }),
  publicKey: bytes({ len: 32 }),
  power: uint(),
  /** Zigzag-encoded signed priority base: 2p for p ≥ 0, -2p - 1 for p < 0. */
  priority: uint(),
  operator: bytes({ len: 20 }),
  escrowKey: optional(bytes({ len: 32 })),
  moniker: string({ max: STAKING_LIMITS.monikerChars })
})
export const ValidatorSetRecord = struct({ members: list(SetMember, { max: MAX_VALIDATORS }) })

export interface SetMemberValue {
  address: Uint8Array
  publicKey: Uint8Array
  power: bigint
  /** Proposer priority before this height's increment. */
  priority: bigint
  operator: Uint8Array
  escrowKey?: Uint8Array
  moniker: string
}

type StoredMember = Infer<typeof SetMember>

function zigzag (p: bigint): bigint { return p >= 0n ? p * 2n : -p * 2n - 1n }
function unzigzag (z: bigint): bigint { return (z & 1n) === 0n ? z / 2n : -(z + 1n) / 2n }

export function encodeSetRecord (members: readonly SetMemberValue[]): Uint8Array {
  return ValidatorSetRecord.toBytes({
    members: members.map(m => ({
      address: m.address,
      publicKey: m.publicKey,
      power: m.power,
      priority: zigzag(m.priority),
      operator: m.operator,
      escrowKey: m.escrowKey ?? null,
      moniker: m.moniker
    }))
  })
}

export function decodeSetRecord (b: Uint8Array): SetMemberValue[] {
  return ValidatorSetRecord.fromBytes(b).members.map((m: StoredMember) => ({
    address: m.address,
    publicKey: m.publicKey,
    power: m.power,
    priority: unzigzag(m.priority),
    operator: m.operator,
    ...(m.escrowKey != null ? { escrowKey: m.escrowKey } : {}),
    moniker: m.moniker
  }))
}

export async function readValidatorSet (state: StateOverlay, height: number): Promise<SetMemberValue[] | undefined> {
  const b = await state.get(stakingKeys.set(height))
  return b === undefined ? undefined : decodeSetRecord(b)
}

/** A member (priority 0) from a validator record, or undefined when it is not eligible. */
function candidate (address: Uint8Array, v: ValidatorRecordValue): SetMemberValue | undefined {
  if (!isEligible(v)) return undefined
  return {
    address,
    publicKey: v.consensusKey,
    power: powerOf(v.tokens),
    priority: 0n,
    operator: v.operator,
    ...(v.escrowKey != null ? { escrowKey: v.escrowKey } : {}),
    moniker: v.moniker
  }
}

/** The active membership from validator records: top MAX_VALIDATORS by power, ties by address; address order. */
export function selectMembers (candidates: readonly SetMemberValue[]): SetMemberValue[] {
  const ranked = [...candidates].sort((a, b) => a.power !== b.power ? (a.power > b.power ? -1 : 1) : compareAddress(a.address, b.address))
  return ranked.slice(0, MAX_VALIDATORS).sort((a, b) => compareAddress(a.address, b.address))
}

export async function computeMembership (state: StateOverlay): Promise<SetMemberValue[]> {
  const addresses = await listValidators(state)
  await state.prefetch(addresses.map(a => stakingKeys.validator(a)))
  const candidates: SetMemberValue[] = []
  for (const a of addresses) {
    const v = await getValidator(state, a)
    if (v === undefined) throw new StateError('CORRUPT_STATE', 'a listed validator has no record')
    const c = candidate(a, v)
    if (c !== undefined) candidates.push(c)
  }
  return selectMembers(candidates)
}

function withPriorities (members: readonly SetMemberValue[], prioritized: readonly PrioritizedMember[]): SetMemberValue[] {
  return members.map((m, i) => {
    const p = prioritized[i]!
    if (!bytesEqual(p.address, m.address)) throw new StateError('CORRUPT_STATE', 'validator set members out of order')
    return { ...m, priority: p.priority }
  })
}

/** Writes the records of heights 1 and 2 (both the genesis membership), at genesis. */
export async function writeGenesisSets (state: StateOverlay): Promise<void> {
  const members = await computeMembership(state)
  if (members.length === 0) throw new StateError('INVALID_GENESIS', 'genesis: no validator has at least 1 FOL of power')
  state.put(stakingKeys.set(1), encodeSetRecord(members))
  state.put(stakingKeys.set(2), encodeSetRecord(withPriorities(members, incrementPriorities(members))))
}

/**
 * End of block h: the record of h + 2. The membership is recomputed only when a validator record
 * changed in this block (a staking transaction or evidence); otherwise it is h + 1's, and only the
 * priorities move on. An empty result keeps the previous membership: a chain whose every
 * validator left or was jailed could never commit again, so the last set keeps signing.
 */
export async function advanceValidatorSet (env: BlockEnv & { state: StateOverlay }): Promise<void> {
  const { state, height } = env
  const prev = await readValidatorSet(state, height + 1)
  if (prev === undefined) {
    throw new StateError('CORRUPT_STATE', `no validator set record for height ${height + 1}; this state predates staking — start from a fresh data folder`)
  }
  let members: SetMemberValue[] = prev
  if (state.changesWithPrefix(stakingKeys.validatorPrefix).length > 0) {
    const computed = await computeMembership(state)
    if (computed.length > 0) members = computed
  }
  const post = incrementPriorities(prev)
  const next = sameMembership(prev, members)
    ? withPriorities(prev, post)
    : withPriorities(members, applyMembership(post, members))
  state.put(stakingKeys.set(height + 2), encodeSetRecord(next))
  // Keep records back to the oldest height whose evidence is still accepted.
  const drop = height - evidenceMaxAge(env.params) - 1
  if (drop >= 1) state.del(stakingKeys.set(drop))
}

/** The set record of `height` as it stands in `state`; heights past the last record are refused. */
export async function validatorSetAt (state: StateOverlay, height: number): Promise<SetMemberValue[]> {
  const set = await readValidatorSet(state, height)
  if (set === undefined) throw new StateError('NOT_FOUND', `the validator set of height ${height} is not kept (only recent heights are)`)
  return set
}
