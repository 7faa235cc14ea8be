/**
 * Optional parts of a node (the feed indexes and their RPC, the slice swarm, the network …) plug
 * in as modules: each is started in order after the chain and mempool exist and before consensus
 * runs, may add RPC methods, HTTP routes and chain indexers, and returns how to stop it. The node
 * stops modules in reverse order.
 */
import type { Chain, Genesis } from '../state/index.js'
import type { Mempool } from '../mempool/index.js'
import type { RpcServer } from '../rpc/server.js'
import type { MethodTable } from '../rpc/jsonrpc.js'
import type { Registry } from 'prom-client'
import type { NodeConfig } from './config.js'
import type { Logger } from './logger.js'
import type { Account } from '../crypto/index.js'
import type { ConsensusSink, ConsensusStatus } from '../consensus/index.js'
import type { Proposal, Vote } from '../blocks/types.js'

/** How modules (the network, block sync) talk to the consensus engine, which they do not own. */
export interface ConsensusBridge {
  /** Adds a receiver of the engine's outbound proposals, votes and evidence. */
  addSink: (sink: ConsensusSink) => void
  receiveProposal: (proposal: Proposal, blockBytes: Uint8Array) => void
  receiveVote: (vote: Vote) => void
  /** Stops the engine, e.g. while block sync catches up. */
  pause: () => void
  /** (Re)starts the engine at the height after the chain's head. */
  resume: () => Promise<void>
  running: () => boolean
  status: () => ConsensusStatus | null
}

export interface NodeContext {
  consensus: ConsensusBridge
  /**
   * Instances modules share, set by the module that owns them, read by later ones (modules start
   * in list order): `libp2p` (the network module's libp2p node), `sliceStore`, …
   */
  shared: Map<string, unknown>
  config: NodeConfig
  genesis: Genesis
  chain: Chain
  mempool: Mempool
  rpc: RpcServer
  metrics: Registry
  log: Logger
  signal: AbortSignal
  /** Paths under the node's home (see config.ts). */
  paths: ReturnType<typeof import('./config.js').homePaths>
  /** The validator's consensus key, when this node validates. */
  validatorKey: Account | null
}

export interface StartedModule {
  methods?: MethodTable
  /** True when the module starts consensus itself (block sync starts it once caught up). */
  managesConsensus?: boolean
  stop?: () => Promise<void> | void
}

export interface NodeModule {
  name: string
  start: (ctx: NodeContext) => Promise<StartedModule>
}
