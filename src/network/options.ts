/**
 * Limits and timings of the network layer, with safe defaults (MISSION.md §12: every message size
 * is explicit). Tests and the devnet shorten the intervals; the limits follow the chain's block
 * size so that a largest legal block always fits a proposal message and a block-sync frame.
 */
export interface NetworkOptions {
  /** Largest gossip message other than a proposal: a transaction batch (votes and evidence are far smaller). */
  maxSmallMessageBytes: number
  /** A node's own transactions wait at most this long to be gossiped together in one message. */
  txBatchMs: number
  /** Envelope bytes allowed on top of a block in a proposal message or a block-sync frame. */
  envelopeBytes: number
  /** Blocks asked for in one block-sync request (and the most a server returns). */
  syncBatchBlocks: number
  /** A block-sync response stops adding blocks after this many bytes (at least one block is sent). */
  syncResponseBytes: number
  /** Block-sync requests in flight at once, spread over peers. */
  syncParallelRequests: number
  /** A block-sync request (status or range) not answered in this time is abandoned. */
  requestTimeoutMs: number
  /**
   * How often each connected peer is asked for its status. A gossiped message for a height beyond
   * ours asks at once, so this only bounds how late a silent lag is noticed; each ask opens a
   * stream, which costs both ends more than the exchange itself.
   */
  statusIntervalMs: number
  /**
   * In consensus, a peer that has committed the height we are still deciding is normal for a
   * moment; after this long we fetch the block instead of waiting for votes that will not come.
   */
  lagGraceMs: number
  /** A node with no peers at start-up waits this long for one before starting consensus alone. */
  startupPeerWaitMs: number
  /** Bootstrap peers that are not connected are redialled this often. */
  redialIntervalMs: number
  /** Inbound block-sync streams per peer connection. */
  maxInboundStreams: number
  /** Penalty points at which a peer is disconnected and refused for `banMs`. */
  banPenalty: number
  banMs: number
}

export const defaultNetworkOptions: Readonly<NetworkOptions> = Object.freeze({
  maxSmallMessageBytes: 256 * 1024,
  txBatchMs: 25,
  envelopeBytes: 64 * 1024,
  syncBatchBlocks: 100,
  syncResponseBytes: 8 * 1024 * 1024,
  syncParallelRequests: 4,
  requestTimeoutMs: 10_000,
  statusIntervalMs: 10_000,
  lagGraceMs: 2000,
  startupPeerWaitMs: 3000,
  redialIntervalMs: 2000,
  maxInboundStreams: 8,
  banPenalty: 100,
  banMs: 10 * 60_000
})

/** Penalty points per offence; a peer is banned at `banPenalty`. */
export const PENALTY = Object.freeze({
  /** A block-sync block whose commit does not verify or that does not apply. */
  invalidBlock: 50,
  /** A malformed block-sync frame or protocol violation. */
  protocol: 25,
  /** A peer that claimed a height and then failed to serve it. */
  unserved: 10,
  /** A request that timed out. */
  timeout: 5
})

export function resolveNetworkOptions (overrides: Partial<NetworkOptions> = {}): NetworkOptions {
  return { ...defaultNetworkOptions, ...overrides }
}
