/**
 * What the consensus engine is given: a clock, the application that builds, checks and applies
 * blocks, and a sink for what it says to the network. Nothing here knows of libp2p or files; the
 * node wires real implementations, the tests a simulated clock and network.
 */
import type { Commit, Proposal, Vote } from '../blocks/types.js'
import type { DuplicateVoteEvidence } from './evidence.js'
import type { ValidatorSet } from './validatorSet.js'

export interface ConsensusClock {
  /** Milliseconds; only differences are used. */
  now(): number
  /** Calls `fn` after `ms`; the returned function cancels it. */
  setTimeout(ms: number, fn: () => void): () => void
}

export interface ProposedBlock {
  hash: Uint8Array
  bytes: Uint8Array
}

export interface ConsensusApp {
  /** The validator set that decides `height`, with its proposer priorities for round 0. */
  validatorSet(height: number): ValidatorSet
  /** Builds a block for (height, round) carrying `lastCommit` (null at height 1). */
  proposeBlock(height: number, round: number, lastCommit: Commit | null): Promise<ProposedBlock>
  /** The block's hash if it is a valid block for `height`, else null. Must not throw for bad bytes. */
  validateBlock(height: number, bytes: Uint8Array): Promise<Uint8Array | null>
  /** Applies and persists the decided block; the engine moves on only once this resolves. */
  commitBlock(height: number, bytes: Uint8Array, commit: Commit): Promise<void>
  /**
   * Whether a block proposed now would carry anything (transactions, evidence). Consulted only
   * with `idleProposeDelay` > 0; an app without it is never idle.
   */
  hasPendingWork?(): boolean
}

export interface ConsensusSink {
  broadcastProposal(proposal: Proposal, blockBytes: Uint8Array): void
  broadcastVote(vote: Vote): void
  /** Called once per distinct offence seen. */
  evidence?(evidence: DuplicateVoteEvidence): void
}

/** A pino-compatible subset. */
export interface ConsensusLogger {
  debug(obj: object, msg: string): void
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export const silentLogger: ConsensusLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {}
}

export type RoundStep = 'propose' | 'prevote' | 'precommit' | 'commit'

export interface ConsensusStatus {
  height: number
  round: number
  step: RoundStep
  lockedRound: number
  lockedHash: Uint8Array | null
  validRound: number
  validHash: Uint8Array | null
}
