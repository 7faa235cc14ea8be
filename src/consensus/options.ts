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
  /**
   * A proposer whose pool is empty waits up to this long into round 0 for a transaction before
   * it proposes (an empty block, if none comes); 0 proposes at once. An idle chain then makes
   * about one block per this interval instead of one per commitDelay, and a transaction that
   * arrives meanwhile is proposed the moment the proposer hears of it (CometBFT's
   * create_empty_blocks_interval). Must stay below proposeBase: the other validators' propose
   * timeout is running while the proposer waits.
   */
  idleProposeDelay: number
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
  idleProposeDelay: 0,
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
  if (opts.idleProposeDelay > 0 && opts.idleProposeDelay >= opts.proposeBase) {
    throw new ConsensusError('INVALID_OPTIONS', `consensus option idleProposeDelay (${opts.idleProposeDelay} ms) must be below proposeBase (${opts.proposeBase} ms), or the other validators time out while the proposer waits`)
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
