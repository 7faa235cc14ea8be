/**
 * The only path by which a validator's consensus key signs. It refuses to sign at a
 * (height, round, step) below the last one signed, or a different payload at the same one, and
 * persists the new position before handing out a signature — so a validator killed at any
 * instant and restarted (even with its WAL lost) cannot sign two conflicting votes or proposals.
 * Re-signing the identical payload returns the stored signature: after a crash the engine replays
 * and re-sends what it already signed.
 */
import { bytesEqual } from '../codec/hex.js'
import { ed25519Sign, sha256 } from '../crypto/index.js'
import { proposalSigningBytes, voteSigningBytes } from '../blocks/consensusMessages.js'
import type { UnsignedProposal, UnsignedVote } from '../blocks/consensusMessages.js'
import { ConsensusError } from './errors.js'

/** Steps in the order they are signed within a round. */
export type SignStep = 'proposal' | 'prevote' | 'precommit'
const STEP_ORDER: Record<SignStep, number> = { proposal: 1, prevote: 2, precommit: 3 }

export interface LastSigned {
  height: number
  round: number
  step: SignStep
  /** sha256 of the signed bytes: what distinguishes a re-sign from a conflicting sign. */
  signBytesHash: Uint8Array
  signature: Uint8Array
}

/** Durable storage of the last signed position; `save` must be on disk (fsynced) when it resolves. */
export interface SignGuardStore {
  load(): Promise<LastSigned | null>
  save(lastSigned: LastSigned): Promise<void>
}

export class MemorySignGuardStore implements SignGuardStore {
  private value: LastSigned | null = null
  saves = 0

  async load (): Promise<LastSigned | null> {
    return this.value === null ? null : { ...this.value }
  }

  async save (lastSigned: LastSigned): Promise<void> {
    this.value = { ...lastSigned }
    this.saves++
  }
}

/** Negative if a is before b, 0 if the same position, positive if after. */
export function compareSignPosition (a: { height: number, round: number, step: SignStep }, b: { height: number, round: number, step: SignStep }): number {
  if (a.height !== b.height) return a.height - b.height
  if (a.round !== b.round) return a.round - b.round
  return STEP_ORDER[a.step] - STEP_ORDER[b.step]
}

export class SignGuard {
  private last: LastSigned | null
  private readonly secretKey: Uint8Array
  private readonly store: SignGuardStore
  // Serializes signing so two concurrent requests cannot both pass the check before either saves.
  private chain: Promise<unknown> = Promise.resolve()

  private constructor (secretKey: Uint8Array, store: SignGuardStore, last: LastSigned | null) {
    this.secretKey = secretKey
    this.store = store
    this.last = last
  }

  static async open (secretKey: Uint8Array, store: SignGuardStore): Promise<SignGuard> {
    return new SignGuard(secretKey, store, await store.load())
  }

  get lastSigned (): LastSigned | null {
    return this.last === null ? null : { ...this.last }
  }

  async signVote (chainId: string, vote: UnsignedVote): Promise<Uint8Array> {
    return await this.sign(vote.height, vote.round, vote.type, voteSigningBytes(chainId, vote))
  }

  async signProposal (chainId: string, proposal: UnsignedProposal): Promise<Uint8Array> {
    return await this.sign(proposal.height, proposal.round, 'proposal', proposalSigningBytes(chainId, proposal))
  }

  private async sign (height: number, round: number, step: SignStep, bytes: Uint8Array): Promise<Uint8Array> {
    const run = this.chain.then(async () => await this.signNow(height, round, step, bytes))
    this.chain = run.catch(() => undefined)
    return await run
  }

  private async signNow (height: number, round: number, step: SignStep, bytes: Uint8Array): Promise<Uint8Array> {
    const hash = sha256(bytes)
    const at = { height, round, step }
    if (this.last !== null) {
      const cmp = compareSignPosition(at, this.last)
      if (cmp < 0) {
        throw new ConsensusError('SIGN_REFUSED', `refusing to sign ${step} at ${height}/${round}: already signed ${this.last.step} at ${this.last.height}/${this.last.round}`, { height, round, step })
      }
      if (cmp === 0) {
        if (bytesEqual(hash, this.last.signBytesHash)) return this.last.signature
        throw new ConsensusError('SIGN_REFUSED', `refusing to sign a conflicting ${step} at ${height}/${round}`, { height, round, step })
      }
    }
    const signature = ed25519Sign(this.secretKey, bytes)
    const next: LastSigned = { height, round, step, signBytesHash: hash, signature }
    await this.store.save(next)
    this.last = next
    return signature
  }
}
