/**
 * Consensus timing. Timeouts grow linearly with the round (base + delta x round) so that after a
 * period of asynchrony some round is long enough for honest validators to hear each other; this
 * is what gives liveness once the network is synchronous again (MISSION.md §5).
 */
import { ConsensusError } from './errors.js'

export interface ConsensusOptions {
  proposeBase: number
  proposeDelta: number
  prevoteBase: number
  prevoteDelta: number
  precommitBase: number
  precommitDelta: number
  /** Pause after a commit before the next height starts, to collect late precommits. */
  commitDelay: number
  /**
   * Minimum time between the starts of two consecutive heights: a lone devnet validator would
   * otherwise commit empty blocks as fast as the CPU allows.
   */
  minBlockInterval: number
  /** Messages for the next height kept while this one finishes; more are dropped. */
  maxFutureMessages: number
  /** Votes or proposals for rounds beyond current + this are ignored, bounding memory. */
  maxRoundLookahead: number
}

export const defaultConsensusOptions: Readonly<ConsensusOptions> = Object.freeze({
  // a live proposer never waits for this; it bounds how long validators wait for a proposal, which
  // includes executing it, so it must cover a full block on a busy machine (CometBFT uses 3 s)
  proposeBase: 2000,
  proposeDelta: 500,
  prevoteBase: 300,
  prevoteDelta: 250,
  precommitBase: 300,
  precommitDelta: 250,
  commitDelay: 200,
  minBlockInterval: 0,
  maxFutureMessages: 10_000,
  maxRoundLookahead: 1000
})

/** One validator alone: no one to wait for, so short timeouts and about one block per second. */
export const devnetConsensusOptions: Readonly<ConsensusOptions> = Object.freeze({
  ...defaultConsensusOptions,
  proposeBase: 300,
  proposeDelta: 100,
  commitDelay: 0,
  minBlockInterval: 1000
})

export function resolveConsensusOptions (overrides: Partial<ConsensusOptions> = {}): ConsensusOptions {
  const opts = { ...defaultConsensusOptions, ...overrides }
  for (const [key, value] of Object.entries(opts)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConsensusError('INVALID_OPTIONS', `consensus option ${key} must be a non-negative number, got ${String(value)}`)
    }
  }
  return opts
}

export function proposeTimeout (o: ConsensusOptions, round: number): number {
  return o.proposeBase + o.proposeDelta * round
}

export function prevoteTimeout (o: ConsensusOptions, round: number): number {
  return o.prevoteBase + o.prevoteDelta * round
}

export function precommitTimeout (o: ConsensusOptions, round: number): number {
  return o.precommitBase + o.precommitDelta * round
}
