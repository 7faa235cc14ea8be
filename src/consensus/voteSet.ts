/**
 * Votes of one height, by round and type, with the power behind each block hash. Only validly
 * signed votes from validators of the height's set are counted, each validator at most once per
 * (round, type): a second, different vote is not counted but returned as duplicate-vote evidence.
 */
import { bareHex, bytesEqual } from '../codec/hex.js'
import { ed25519Verify } from '../crypto/index.js'
import { voteSigningBytes } from '../blocks/consensusMessages.js'
import type { Vote, VoteType } from '../blocks/types.js'
import { makeDuplicateVoteEvidence } from './evidence.js'
import type { DuplicateVoteEvidence } from './evidence.js'
import type { ValidatorSet } from './validatorSet.js'

const NIL = 'nil'

export function blockKey (hash: Uint8Array | null): string {
  return hash === null ? NIL : bareHex(hash)
}

export type AddVoteResult =
  | { status: 'added' }
  | { status: 'duplicate' }
  | { status: 'invalid', reason: string }
  | { status: 'conflict', evidence: DuplicateVoteEvidence }

/** One round's votes of one type. */
export class VoteSet {
  private readonly byValidator = new Map<string, Vote>()
  private readonly powerByBlock = new Map<string, bigint>()
  private total = 0n

  constructor (private readonly valset: ValidatorSet) {}

  get votedPower (): bigint { return this.total }

  powerFor (hash: Uint8Array | null): bigint {
    return this.powerByBlock.get(blockKey(hash)) ?? 0n
  }

  /** More than 2/3 of power, whatever they voted for. */
  hasTwoThirdsAny (): boolean {
    return this.valset.hasTwoThirds(this.total)
  }

  hasTwoThirdsFor (hash: Uint8Array | null): boolean {
    return this.valset.hasTwoThirds(this.powerFor(hash))
  }

  /** The block (or nil, as null) with more than 2/3 of power, if any. */
  twoThirdsMajority (): { hash: Uint8Array | null } | undefined {
    for (const [key, power] of this.powerByBlock) {
      if (this.valset.hasTwoThirds(power)) {
        return { hash: key === NIL ? null : Uint8Array.from(Buffer.from(key, 'hex')) }
      }
    }
    return undefined
  }

  get (validator: Uint8Array): Vote | undefined {
    return this.byValidator.get(bareHex(validator))
  }

  /** Votes for `hash`, in validator-set order. */
  votesFor (hash: Uint8Array | null): Vote[] {
    const key = blockKey(hash)
    return this.valset.validators
      .map(v => this.byValidator.get(bareHex(v.address)))
      .filter((v): v is Vote => v !== undefined && blockKey(v.blockHash) === key)
  }

  all (): Vote[] {
    return [...this.byValidator.values()]
  }

  /** Adds a vote whose signature the caller has checked. */
  addVerified (vote: Vote): AddVoteResult {
    const key = bareHex(vote.validator)
    const existing = this.byValidator.get(key)
    if (existing !== undefined) {
      if (blockKey(existing.blockHash) === blockKey(vote.blockHash)) return { status: 'duplicate' }
      return { status: 'conflict', evidence: makeDuplicateVoteEvidence(existing, vote) }
    }
    const power = this.valset.get(vote.validator)?.power ?? 0n
    this.byValidator.set(key, vote)
    this.total += power
    const bk = blockKey(vote.blockHash)
    this.powerByBlock.set(bk, (this.powerByBlock.get(bk) ?? 0n) + power)
    return { status: 'added' }
  }
}

/** All votes of one height. */
export class HeightVoteSet {
  private readonly rounds = new Map<number, { prevote: VoteSet, precommit: VoteSet }>()
  /** Validators heard from in each round (any vote or proposal): the f+1 round-skip rule. */
  private readonly heardFrom = new Map<number, Map<string, bigint>>()

  constructor (
    private readonly chainId: string,
    readonly height: number,
    readonly valset: ValidatorSet
  ) {}

  votes (round: number, type: VoteType): VoteSet {
    let r = this.rounds.get(round)
    if (r === undefined) {
      r = { prevote: new VoteSet(this.valset), precommit: new VoteSet(this.valset) }
      this.rounds.set(round, r)
    }
    return r[type]
  }

  roundNumbers (): number[] {
    return [...this.rounds.keys()].sort((a, b) => a - b)
  }

  noteHeardFrom (round: number, validator: Uint8Array): void {
    const power = this.valset.get(validator)?.power
    if (power === undefined) return
    let m = this.heardFrom.get(round)
    if (m === undefined) {
      m = new Map()
      this.heardFrom.set(round, m)
    }
    m.set(bareHex(validator), power)
  }

  /** The highest round above `round` from which more than 1/3 of power has been heard. */
  skipTarget (round: number): number | undefined {
    let best: number | undefined
    for (const [r, m] of this.heardFrom) {
      if (r <= round || (best !== undefined && r <= best)) continue
      let power = 0n
      for (const p of m.values()) power += p
      if (this.valset.hasOneThirdPlus(power)) best = r
    }
    return best
  }

  /** Checks membership and signature, then records the vote. */
  add (vote: Vote): AddVoteResult {
    if (vote.height !== this.height) return { status: 'invalid', reason: 'wrong height' }
    const validator = this.valset.get(vote.validator)
    if (validator === undefined) return { status: 'invalid', reason: 'unknown validator' }
    const set = this.votes(vote.round, vote.type)
    const existing = set.get(vote.validator)
    // An identical vote needs no second signature check: gossip delivers each vote many times.
    if (existing !== undefined && bytesEqual(existing.signature, vote.signature)) return { status: 'duplicate' }
    if (!ed25519Verify(validator.publicKey, voteSigningBytes(this.chainId, vote), vote.signature)) {
      return { status: 'invalid', reason: 'bad signature' }
    }
    const result = set.addVerified(vote)
    if (result.status === 'added') this.noteHeardFrom(vote.round, vote.validator)
    return result
  }
}
