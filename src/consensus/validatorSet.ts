/**
 * Validator sets: voting power thresholds, the validators hash that headers commit to, and
 * CometBFT's stake-weighted round-robin proposer selection (priorities incremented by power, the
 * chosen proposer pays back the total power; priorities are rescaled to a window of 2 x total and
 * centred on zero before each increment, so a validator's share of proposals equals its share of
 * power and a newcomer cannot jump the queue).
 *
 * A ValidatorSet is immutable: incrementing priorities or applying changes returns a new set.
 * The set for height h+1 is `setForHeight(h).applyChanges(changesDecidedAt(h-1)).incrementProposerPriority(1)`
 * — see `nextValidatorSet`, which the state machine uses so that changes take effect at h + 2.
 */
import { rlpEncode, uintToBytes } from '../codec/rlp.js'
import { sha256 } from '../crypto/index.js'
import { ConsensusError } from './errors.js'
import { rescalePriorities, centrePriorities } from '../state/staking/priorities.js'
import { bareHex } from '../codec/hex.js'

export interface Validator {
  /** 20-byte address of the consensus key. */
  readonly address: Uint8Array
  /** 32-byte Ed25519 consensus public key. */
  readonly publicKey: Uint8Array
  readonly power: bigint
  readonly proposerPriority: bigint
}

export interface ValidatorInput {
  address: Uint8Array
  publicKey: Uint8Array
  power: bigint
  proposerPriority?: bigint
}

/** A change to the set: power 0 removes the validator. */
export interface ValidatorUpdate {
  address: Uint8Array
  publicKey: Uint8Array
  power: bigint
}

/** CometBFT caps total power so priorities (bounded by ~2.25 x total) never overflow int64. */
export const MAX_TOTAL_VOTING_POWER = (1n << 63n) / 8n
const PRIORITY_WINDOW_SIZE_FACTOR = 2n

export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}



export class ValidatorSet {
  /** Validators in canonical order: address ascending. */
  readonly validators: readonly Validator[]
  readonly totalPower: bigint
  private readonly byAddress: Map<string, number>
  private cachedHash: Uint8Array | undefined

  /**
   * Builds a set as given (priorities default to 0). Use `ValidatorSet.genesis` for a new set
   * whose first proposer is chosen as CometBFT does.
   */
  constructor (validators: readonly ValidatorInput[]) {
    const sorted = validators.map(v => ({
      address: v.address,
      publicKey: v.publicKey,
      power: v.power,
      proposerPriority: v.proposerPriority ?? 0n
    })).sort((a, b) => compareBytes(a.address, b.address))
    this.byAddress = new Map()
    let total = 0n
    for (const [i, v] of sorted.entries()) {
      if (v.address.length !== 20) throw new ConsensusError('INVALID_VALIDATOR_SET', 'validator address must be 20 bytes')
      if (v.publicKey.length !== 32) throw new ConsensusError('INVALID_VALIDATOR_SET', 'validator public key must be 32 bytes')
      if (v.power <= 0n) throw new ConsensusError('INVALID_VALIDATOR_SET', 'validator power must be positive')
      const key = bareHex(v.address)
      if (this.byAddress.has(key)) throw new ConsensusError('INVALID_VALIDATOR_SET', `duplicate validator ${key}`)
      this.byAddress.set(key, i)
      total += v.power
    }
    if (total > MAX_TOTAL_VOTING_POWER) {
      throw new ConsensusError('INVALID_VALIDATOR_SET', 'total voting power exceeds the maximum')
    }
    this.validators = sorted
    this.totalPower = total
  }

  /** A new set with its priorities advanced once, as CometBFT's NewValidatorSet does. */
  static genesis (validators: readonly ValidatorUpdate[]): ValidatorSet {
    const set = new ValidatorSet(validators.map(v => ({ ...v, proposerPriority: 0n })))
    if (set.size === 0) throw new ConsensusError('INVALID_VALIDATOR_SET', 'a validator set needs at least one validator')
    return set.incrementProposerPriority(1)
  }

  get size (): number { return this.validators.length }

  /** More than 2/3 of total power, in integers: exactly 2/3 is not enough. */
  hasTwoThirds (power: bigint): boolean {
    return power * 3n > this.totalPower * 2n
  }

  /** More than 1/3 of total power (f + 1): at least one honest validator is among them. */
  hasOneThirdPlus (power: bigint): boolean {
    return power * 3n > this.totalPower
  }

  indexOf (address: Uint8Array): number {
    return this.byAddress.get(bareHex(address)) ?? -1
  }

  get (address: Uint8Array): Validator | undefined {
    const i = this.indexOf(address)
    return i < 0 ? undefined : this.validators[i]
  }

  /** sha256 of RLP([[address, publicKey, power], ...]) in address order; priorities excluded. */
  hash (): Uint8Array {
    this.cachedHash ??= sha256(rlpEncode(this.validators.map(v => [v.address, v.publicKey, uintToBytes(v.power)])))
    return this.cachedHash
  }

  /** The validator with the highest priority (ties: lowest address) — the proposer of round 0. */
  proposer (): Validator {
    let best = this.validators[0]
    if (best === undefined) throw new ConsensusError('INVALID_VALIDATOR_SET', 'empty validator set')
    for (const v of this.validators) {
      if (v.proposerPriority > best.proposerPriority) best = v
    }
    return best
  }

  /** The proposer of `round` at this set's height: round 0 is `proposer()`. */
  proposerForRound (round: number): Validator {
    return round === 0 ? this.proposer() : this.incrementProposerPriority(round).proposer()
  }

  /**
   * Advances priorities `times` rounds. After the last step the chosen proposer has already paid
   * back the total power, so `proposer()` is read before paying: we record it separately.
   */
  incrementProposerPriority (times: number): ValidatorSet {
    if (times <= 0) throw new ConsensusError('INVALID_VALIDATOR_SET', 'cannot increment priorities a non-positive number of times')
    const pr = this.validators.map(v => v.proposerPriority)
    rescalePriorities(pr, PRIORITY_WINDOW_SIZE_FACTOR * this.totalPower)
    centrePriorities(pr)
    let chosen = -1
    for (let t = 0; t < times; t++) {
      for (let i = 0; i < pr.length; i++) pr[i] = pr[i]! + this.validators[i]!.power
      chosen = 0
      for (let i = 1; i < pr.length; i++) {
        if (pr[i]! > pr[chosen]!) chosen = i
      }
      pr[chosen] = pr[chosen]! - this.totalPower
    }
    return new ProposerMarkedSet(this.validators.map((v, i) => ({ ...v, proposerPriority: pr[i]! })), chosen)
  }

  /**
   * Applies updates (power 0 removes), giving newcomers priority -1.125 x total as CometBFT does
   * so that joining and leaving repeatedly cannot buy an early turn.
   */
  applyChanges (updates: readonly ValidatorUpdate[]): ValidatorSet {
    const next = new Map<string, ValidatorInput>()
    for (const v of this.validators) next.set(bareHex(v.address), { ...v })
    const seen = new Set<string>()
    for (const u of updates) {
      const key = bareHex(u.address)
      if (seen.has(key)) throw new ConsensusError('INVALID_VALIDATOR_SET', `validator ${key} updated twice`)
      seen.add(key)
      if (u.power < 0n) throw new ConsensusError('INVALID_VALIDATOR_SET', 'validator power must not be negative')
      if (u.power === 0n) {
        if (!next.delete(key)) throw new ConsensusError('INVALID_VALIDATOR_SET', `cannot remove unknown validator ${key}`)
      }
    }
    let totalAfter = 0n
    for (const u of updates) if (u.power > 0n) totalAfter += u.power
    for (const [key, v] of next) if (!seen.has(key)) totalAfter += v.power
    for (const u of updates) {
      if (u.power === 0n) continue
      const key = bareHex(u.address)
      const old = next.get(key)
      const priority = old?.proposerPriority ?? -(totalAfter + (totalAfter >> 3n))
      next.set(key, { address: u.address, publicKey: u.publicKey, power: u.power, proposerPriority: priority })
    }
    if (next.size === 0) throw new ConsensusError('INVALID_VALIDATOR_SET', 'changes would leave the validator set empty')
    const set = new ValidatorSet([...next.values()])
    const pr = set.validators.map(v => v.proposerPriority)
    rescalePriorities(pr, PRIORITY_WINDOW_SIZE_FACTOR * set.totalPower)
    centrePriorities(pr)
    return new ValidatorSet(set.validators.map((v, i) => ({ ...v, proposerPriority: pr[i]! })))
  }
}

/**
 * A set produced by incrementing priorities, which remembers who was chosen at the last step:
 * after paying back, the chosen validator no longer has the highest priority.
 */
class ProposerMarkedSet extends ValidatorSet {
  private readonly chosen: number
  constructor (validators: readonly ValidatorInput[], chosen: number) {
    super(validators)
    this.chosen = chosen
  }

  override proposer (): Validator {
    return this.validators[this.chosen]!
  }
}

/** The set for height h + 1, given the set for h and the changes decided in block h - 1. */
export function nextValidatorSet (current: ValidatorSet, changesFromPreviousBlock: readonly ValidatorUpdate[]): ValidatorSet {
  const updated = changesFromPreviousBlock.length > 0 ? current.applyChanges(changesFromPreviousBlock) : current
  return updated.incrementProposerPriority(1)
}

