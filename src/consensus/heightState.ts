/**
 * The round state of one height: round and step, the proposals and validated blocks, the votes,
 * and the lock and valid value of the paper. The engine replaces it wholesale on each new height,
 * so nothing of one height can leak into the next.
 */
import { bareHex, bytesEqual } from '../codec/hex.js'
import type { Proposal } from '../blocks/types.js'
import type { ConsensusStatus, RoundStep } from './types.js'
import type { ValidatorSet } from './validatorSet.js'
import { HeightVoteSet } from './voteSet.js'

export class HeightState {
  round = 0
  step: RoundStep = 'propose'
  readonly votes: HeightVoteSet
  /** The first valid proposal seen per round. */
  readonly proposals = new Map<number, Proposal>()
  /** Validated blocks of this height by hash: valid(v) holds exactly for these. */
  readonly blocks = new Map<string, Uint8Array>()
  lockedRound = -1
  lockedHash: Uint8Array | null = null
  validRound = -1
  validHash: Uint8Array | null = null
  decided = false
  private readonly fired = new Set<string>()

  constructor (chainId: string, readonly height: number, readonly valset: ValidatorSet, readonly startedAt: number) {
    this.votes = new HeightVoteSet(chainId, height, valset)
  }

  /** True the first time it is called with `key`: the paper's "for the first time" rules. */
  once (key: string): boolean {
    if (this.fired.has(key)) return false
    this.fired.add(key)
    return true
  }

  isValid (hash: Uint8Array): boolean {
    return this.blocks.has(bareHex(hash))
  }

  blockBytes (hash: Uint8Array): Uint8Array | undefined {
    return this.blocks.get(bareHex(hash))
  }

  addBlock (hash: Uint8Array, bytes: Uint8Array): void {
    this.blocks.set(bareHex(hash), bytes)
  }

  isLockedOn (hash: Uint8Array): boolean {
    return this.lockedHash !== null && bytesEqual(this.lockedHash, hash)
  }

  get status (): ConsensusStatus {
    return {
      height: this.height,
      round: this.round,
      step: this.step,
      lockedRound: this.lockedRound,
      lockedHash: this.lockedHash,
      validRound: this.validRound,
      validHash: this.validHash
    }
  }
}
