/**
 * The network facade: one libp2p host, the four gossip topics, the block-sync protocol (server
 * and syncer), bootstrap redialling and the enforcement of peer scores. It is given the chain,
 * the mempool and a consensus control, and knows nothing of the node around it (the node module,
 * src/node/networkModule.ts, does the wiring).
 */
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId, PrivateKey, Stream } from '@libp2p/interface'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Chain } from '../state/index.js'
import type { ConsensusSink, DuplicateVoteEvidence } from '../consensus/index.js'
import type { Proposal, Tx, Vote } from '../blocks/types.js'
import { errorMessage } from '../errors.js'
import { createHost, SCORE_THRESHOLDS, type FolioLibp2p } from './host.js'
import { topicsFor } from './topics.js'
import { ConsensusGossip } from './gossip.js'
import { BlockSync, type ConsensusControl, type SyncLog } from './blockSync.js'
import { BLOCKSYNC_PROTOCOL, type SyncStatus } from './blocksyncMessages.js'
import { serveBlocksync, requestStatus, requestBlocks, requestConsensusMessages, type BlockSource } from './blocksyncProtocol.js'
import { RecentMessages } from './recentMessages.js'
import { PeerBook } from './peerBook.js'
import { ValidatorSetCache } from './validators.js'
import { resolveNetworkOptions, PENALTY, type NetworkOptions } from './options.js'
import { NetworkError } from './errors.js'

/** The gossipsub class has `getScore`; its exported interface does not. */
type ScoredGossipSub = GossipSub & { getScore: (peer: string) => number }

/** The peer id of a `/…/p2p/<id>` multiaddr. */
export function peerIdOf (addr: string): string | undefined {
  return multiaddr(addr).getComponents().find(c => c.name === 'p2p')?.value
}

export interface NetworkInit {
  privateKey: PrivateKey
  listen: string[]
  bootstrap: string[]
  chain: Chain
  addTx: (bytes: Uint8Array, tx?: Tx) => Promise<unknown>
  /** Stateless checks of a gossiped batch of transactions; throws when one is invalid (see gossip.ts). */
  checkTxs?: (txs: Uint8Array[]) => Promise<Tx[]>
  consensus: ConsensusControl & {
    receiveProposal: (p: Proposal, blockBytes: Uint8Array) => void
    receiveVote: (v: Vote) => void
  }
  log: SyncLog
  options?: Partial<NetworkOptions>
}

export interface PeerInfo {
  id: string
  addresses: string[]
  height: number | null
  score: number
}

export class FolioNetwork {
  readonly options: NetworkOptions
  readonly book: PeerBook
  private libp2p!: FolioLibp2p
  private gossip: ConsensusGossip | undefined
  private syncer!: BlockSync
  private readonly heights = new Map<string, number>()
  private readonly timers: NodeJS.Timeout[] = []
  private readonly evidenceListeners: Array<(ev: DuplicateVoteEvidence) => void> = []
  private readonly controller = new AbortController()
  private lastHint = 0
  private readonly recent = new RecentMessages()

  constructor (private readonly init: NetworkInit) {
    this.options = resolveNetworkOptions(init.options)
    for (const a of init.bootstrap) {
      try {
        if (peerIdOf(a) === undefined) throw new Error('it has no /p2p/<peer id>')
      } catch (err) {
        throw new NetworkError('INVALID_CONFIG', `bootstrap address ${a}: ${errorMessage(err)}`)
      }
    }
    this.book = new PeerBook({ banPenalty: this.options.banPenalty, banMs: this.options.banMs })
  }

  /** The libp2p node, for other protocols (the slice swarm) that share the host and its peers. */
  get node (): FolioLibp2p {
    return this.libp2p
  }

  get peerId (): string {
    return this.libp2p.peerId.toString()
  }

  /** Listening multiaddrs with /p2p/<peer id>, to give to others as bootstrap addresses. */
  addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(a => a.toString())
  }

  get syncing (): boolean {
    return this.syncer.syncing
  }

  get blockSync (): BlockSync {
    return this.syncer
  }

  get counters (): ConsensusGossip['counters'] {
    return this.gossip?.counters ?? { accepted: 0, ignored: 0, rejected: 0 }
  }

  onEvidence (fn: (ev: DuplicateVoteEvidence) => void): void {
    this.evidenceListeners.push(fn)
  }

  async start (): Promise<void> {
    const { chain, log } = this.init
    const opts = this.options
    const topics = topicsFor(chain.chainId)
    const valsets = new ValidatorSetCache((h) => chain.validators(h))
    const maxBlockBytes = chain.params.maxBlockBytes
    this.libp2p = await createHost({
      privateKey: this.init.privateKey,
      listen: this.init.listen,
      topics,
      maxGossipBytes: maxBlockBytes + opts.envelopeBytes,
      appPenalty: (peer) => this.book.penalty(peer),
      gater: {
        denyDialPeer: (peer: PeerId) => this.book.isBanned(peer.toString()),
        denyInboundEncryptedConnection: (peer: PeerId) => this.book.isBanned(peer.toString())
      }
    })
    const view = { chainId: chain.chainId, headHeight: () => chain.head().height, validatorSet: (h: number) => valsets.at(h), maxBlockBytes }
    this.gossip = new ConsensusGossip(this.libp2p.services.pubsub, topics, view, {
      receiveProposal: (p, b) => { if (!this.syncing) this.init.consensus.receiveProposal(p, b) },
      receiveVote: (v) => { if (!this.syncing) this.init.consensus.receiveVote(v) },
      addTx: this.init.addTx,
      checkTxs: this.init.checkTxs,
      evidence: (ev) => { for (const fn of this.evidenceListeners) fn(ev) },
      aheadHint: () => { this.hintBehind() },
      record: (height, kind, data) => { if (height > chain.head().height) this.recent.add(height, kind, data) }
    }, log, { batchMs: opts.txBatchMs, maxBytes: opts.maxSmallMessageBytes })
    chain.onBlock((b) => { this.recent.prune(b.height) })
    this.syncer = new BlockSync({
      chain: {
        chainId: chain.chainId,
        maxBlockBytes,
        headHeight: () => chain.head().height,
        headHash: () => chain.head().hash,
        validatorSet: (h) => valsets.at(h),
        commit: async (block, commit) => await chain.commit(block, commit)
      },
      transport: {
        status: async (peer, ours, signal) => await this.withStream(peer, signal, async (s) => await requestStatus(s, ours, signal)),
        blocks: async (peer, from, count, signal) => await this.withStream(peer, signal,
          async (s) => await requestBlocks(s, from, count, maxBlockBytes, opts.envelopeBytes, signal)),
        penalize: (peer, points, reason) => { this.penalize(peer, points, reason) },
        consensusMessages: async (peer, height, signal) => {
          const frames = await this.withStream(peer, signal,
            async (s) => await requestConsensusMessages(s, height, maxBlockBytes + opts.envelopeBytes, signal))
          let rejected = 0
          for (const f of frames) {
            const verdict = await this.gossip!.ingest(f.kind === 'vote' ? topics.vote : topics.proposal, f.data, peer)
            if (verdict === 'reject') rejected++
          }
          if (rejected > 0) this.penalize(peer, PENALTY.invalidBlock, `${rejected} invalid consensus messages pulled`)
          log.debug({ peer, height, frames: frames.length, rejected }, 'pulled consensus messages')
        }
      },
      consensus: {
        pause: () => { this.init.consensus.pause() },
        resume: async () => {
          await this.init.consensus.resume()
          await this.replayRecent()
        }
      },
      // with no one to dial, no one is worth waiting for: peers that dial us are handled as they come
      options: { ...opts, startupPeerWaitMs: this.init.bootstrap.length === 0 ? 0 : opts.startupPeerWaitMs },
      log
    })

    const source: BlockSource = {
      status: () => this.syncer.ourStatus(),
      blockBytes: async (h) => await chain.blocks.blockBytes(h),
      commit: async (h) => await chain.blocks.commit(h),
      consensusMessages: (h) => this.recent.get(h)
    }
    await this.libp2p.handle(BLOCKSYNC_PROTOCOL, async (stream, connection) => {
      const peer = connection.remotePeer.toString()
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(opts.requestTimeoutMs)])
      try {
        await serveBlocksync(stream, source, {
          signal,
          maxResponseBytes: opts.syncResponseBytes,
          onStatus: (s: SyncStatus) => { this.noteStatus(peer, s) }
        })
      } catch (err) {
        stream.abort(err as Error)
        if (err instanceof NetworkError) this.penalize(peer, PENALTY.protocol, `block-sync request: ${err.message}`)
        else log.debug({ peer, err: errorMessage(err) }, 'block-sync request failed')
      }
    }, { maxInboundStreams: opts.maxInboundStreams, maxOutboundStreams: opts.syncParallelRequests + 4 })

    this.libp2p.addEventListener('peer:connect', (evt) => { this.syncer.addPeer(evt.detail.toString()) })
    this.libp2p.addEventListener('peer:disconnect', (evt) => {
      this.syncer.removePeer(evt.detail.toString())
      this.heights.delete(evt.detail.toString())
    })
    this.gossip.start()
    this.syncer.start()
    this.redial()
    this.timers.push(setInterval(() => { this.redial() }, opts.redialIntervalMs))
    this.timers.push(setInterval(() => { this.syncer.pollAll() }, opts.statusIntervalMs))
    // a stalled height is looked at every second, whatever the status interval
    this.timers.push(setInterval(() => { this.syncer.checkStall() }, Math.min(1000, opts.statusIntervalMs)))
    this.timers.push(setInterval(() => { this.enforceScores() }, 1000))
    log.info({ peerId: this.peerId, listen: this.addresses(), bootstrap: this.init.bootstrap.length }, 'p2p started')
  }

  async stop (): Promise<void> {
    this.controller.abort()
    for (const t of this.timers) clearInterval(t)
    this.syncer?.stop()
    this.gossip?.stop()
    await this.libp2p?.stop()
  }

  /** Outbound proposals, votes and evidence, for the consensus bridge. */
  sink (): ConsensusSink {
    // resolved per call, so the sink can be registered before start()
    return {
      broadcastProposal: (p, b) => { this.gossip?.sink().broadcastProposal(p, b) },
      broadcastVote: (v) => { this.gossip?.sink().broadcastVote(v) },
      evidence: (ev) => { this.gossip?.sink().evidence?.(ev) }
    }
  }

  /** Gossips one of this node's own transactions (batched: see ConsensusGossip.publishTx). */
  publishTx (bytes: Uint8Array): void {
    this.gossip?.publishTx(bytes)
  }

  peers (): PeerInfo[] {
    const pubsub = this.libp2p.services.pubsub as ScoredGossipSub
    return this.libp2p.getConnections().map(c => {
      const id = c.remotePeer.toString()
      return { id, addresses: [c.remoteAddr.toString()], height: this.heights.get(id) ?? null, score: pubsub.getScore(id) }
    })
  }

  /** Records a penalty; at the ban threshold the peer is disconnected and refused for a while. */
  penalize (peer: string, points: number, reason: string): void {
    this.init.log.warn({ peer, points, reason }, 'peer penalised')
    if (this.book.penalize(peer, points)) this.disconnect(peer, 'penalty threshold reached')
  }

  private noteStatus (peer: string, s: SyncStatus): void {
    this.heights.set(peer, s.height)
    this.syncer.onStatus(peer, s)
  }

  private async withStream<T> (peer: string, signal: AbortSignal, fn: (s: Stream) => Promise<T>): Promise<T> {
    const stream = await this.libp2p.dialProtocol(peerIdFromString(peer), BLOCKSYNC_PROTOCOL, { signal })
    try {
      const result = await fn(stream)
      if (typeof (result as SyncStatus)?.height === 'number') this.heights.set(peer, (result as SyncStatus).height)
      return result
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  /** Hands the engine what was gossiped for its height while it was not running (sync, start-up). */
  private async replayRecent (): Promise<void> {
    const height = this.init.chain.head().height + 1
    const topics = topicsFor(this.init.chain.chainId)
    for (const m of this.recent.get(height)) {
      await this.gossip?.ingest(m.kind === 'vote' ? topics.vote : topics.proposal, m.data, 'self')
    }
  }

  /** Messages for heights beyond ours: ask everyone for their status now (at most 5 times a second). */
  private hintBehind (): void {
    const now = Date.now()
    if (now - this.lastHint < 200) return
    this.lastHint = now
    this.syncer.pollAll()
  }

  private redial (): void {
    const connected = new Set(this.libp2p.getPeers().map(p => p.toString()))
    for (const a of this.init.bootstrap) {
      const id = peerIdOf(a)
      if (id === undefined || connected.has(id) || id === this.peerId || this.book.isBanned(id)) continue
      this.libp2p.dial(multiaddr(a), { signal: AbortSignal.timeout(5000) }).catch((err) => {
        this.init.log.debug({ addr: a, err: errorMessage(err) }, 'bootstrap dial failed')
      })
    }
  }

  private enforceScores (): void {
    const pubsub = this.libp2p.services.pubsub as ScoredGossipSub
    for (const p of this.libp2p.getPeers()) {
      const id = p.toString()
      if (this.book.isBanned(id)) this.disconnect(id, 'banned')
      else if (pubsub.getScore(id) < SCORE_THRESHOLDS.graylistThreshold) {
        this.book.ban(id)
        this.disconnect(id, `gossip score ${pubsub.getScore(id).toFixed(1)} below the graylist threshold`)
      }
    }
  }

  private disconnect (peer: string, reason: string): void {
    this.init.log.warn({ peer, reason }, 'disconnecting peer')
    this.libp2p.hangUp(peerIdFromString(peer)).catch(() => {})
  }
}

