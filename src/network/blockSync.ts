/**
 * Block sync and the hand-over between sync and consensus (MISSION.md §5). The node starts in
 * sync mode: it learns its peers' heads by status exchange, fetches the blocks it lacks with their
 * commits — several ranged requests in flight over different peers, applied strictly in order —
 * and starts consensus once it holds every block a peer has. In consensus mode it keeps watching
 * peer heads: a peer two blocks ahead, or one block ahead for longer than `lagGraceMs` (the votes
 * of a height we missed are never re-sent), sends it back to sync. The engine drops messages for
 * heights it has not reached, so this is how a lagging or restarted validator rejoins.
 *
 * Nothing here knows libp2p: peers are strings and the transport is injected.
 */
import type { SyncBlock, SyncStatus } from './blocksyncMessages.js'
import { applySyncBlock, type SyncChain } from './blockApply.js'
import { NetworkError } from './errors.js'
import { PENALTY, type NetworkOptions } from './options.js'
import { errorMessage } from '../errors.js'

export interface SyncTransport {
  status: (peer: string, ours: SyncStatus, signal: AbortSignal) => Promise<SyncStatus>
  blocks: (peer: string, from: number, count: number, signal: AbortSignal) => Promise<SyncBlock[]>
  penalize: (peer: string, points: number, reason: string) => void
  /** Pulls (and hands on) the proposals and votes a peer holds for `height`. */
  consensusMessages: (peer: string, height: number, signal: AbortSignal) => Promise<void>
}

export interface ConsensusControl {
  pause: () => void
  resume: () => Promise<void>
}

export interface SyncLog {
  debug: (obj: object, msg: string) => void
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
}

export type SyncMode = 'sync' | 'consensus'

export interface BlockSyncInit {
  chain: SyncChain & { headHash: () => Uint8Array }
  transport: SyncTransport
  consensus: ConsensusControl
  options: Pick<NetworkOptions, 'syncBatchBlocks' | 'syncParallelRequests' | 'requestTimeoutMs' | 'lagGraceMs' | 'startupPeerWaitMs'>
  log: SyncLog
  now?: () => number
}

interface PeerState {
  height: number
  /** Status polls in flight (one at a time). */
  polling: boolean
}

interface Fetched {
  peer: string
  block: SyncBlock
}

export class BlockSync {
  private readonly peers = new Map<string, PeerState>()
  private modeNow: SyncMode = 'sync'
  private running = false
  private stopped = false
  private lagSince: number | undefined
  private lagHead: number | undefined
  private startedAt = 0
  private syncedBlocks = 0
  private readonly controller = new AbortController()
  private readonly now: () => number
  private evaluating: Promise<void> = Promise.resolve()
  private headSeen = { height: -1, at: 0 }
  private startupTimer: NodeJS.Timeout | undefined
  private lagTimer: NodeJS.Timeout | undefined

  constructor (private readonly init: BlockSyncInit) {
    this.now = init.now ?? Date.now
  }

  get mode (): SyncMode {
    return this.modeNow
  }

  /** True while the node is fetching blocks rather than following consensus. */
  get syncing (): boolean {
    return this.modeNow === 'sync'
  }

  /** Blocks applied by sync since start (for logs and the benchmark). */
  get blocksSynced (): number {
    return this.syncedBlocks
  }

  /** The best height any peer reports. */
  bestPeerHeight (): number {
    let best = 0
    for (const p of this.peers.values()) best = Math.max(best, p.height)
    return best
  }

  start (): void {
    this.startedAt = this.now()
    // alone (first node up, or a one-node chain): start consensus after a short wait for peers
    this.startupTimer = setTimeout(() => { this.evaluate() }, this.init.options.startupPeerWaitMs)
    this.evaluate()
  }

  stop (): void {
    this.stopped = true
    this.controller.abort()
    clearTimeout(this.startupTimer)
    clearTimeout(this.lagTimer)
  }

  addPeer (peer: string): void {
    if (!this.peers.has(peer)) this.peers.set(peer, { height: -1, polling: false })
    void this.poll(peer)
  }

  removePeer (peer: string): void {
    this.peers.delete(peer)
  }

  /** A peer's status, learned by asking it or because it asked us. */
  onStatus (peer: string, status: SyncStatus): void {
    if (this.stopped) return
    if (status.chainId !== this.init.chain.chainId) {
      this.peers.delete(peer)
      this.init.transport.penalize(peer, PENALTY.protocol, `peer is on chain ${status.chainId}`)
      return
    }
    const p = this.peers.get(peer) ?? { height: -1, polling: false }
    p.height = status.height
    this.peers.set(peer, p)
    this.evaluate()
  }

  /** Asks every peer for its status (the periodic tick, or a hint that we are behind). */
  pollAll (): void {
    for (const peer of this.peers.keys()) void this.poll(peer)
  }

  /**
   * In consensus, a height that has not moved for `lagGraceMs` may be waiting for votes cast
   * while we (or they) were away: fetch the height's messages from peers at the same height.
   * Called on a timer of its own, more often than statuses are asked.
   */
  checkStall (): void {
    const head = this.init.chain.headHeight()
    const now = this.now()
    if (head !== this.headSeen.height) {
      this.headSeen = { height: head, at: now }
      return
    }
    if (this.modeNow !== 'consensus' || now - this.headSeen.at < this.init.options.lagGraceMs) return
    this.pullConsensusMessages()
  }

  /** Fetches the current height's proposals and votes from every peer at our height. */
  private pullConsensusMessages (): void {
    const head = this.init.chain.headHeight()
    for (const [peer, p] of this.peers) {
      if (p.height !== head) continue
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.init.options.requestTimeoutMs)])
      this.init.transport.consensusMessages(peer, head + 1, signal).catch((err) => {
        if (!this.stopped) this.init.log.debug({ peer, err: errorMessage(err) }, 'consensus message pull failed')
      })
    }
  }

  private async poll (peer: string): Promise<void> {
    const p = this.peers.get(peer)
    if (p === undefined || p.polling || this.stopped) return
    p.polling = true
    try {
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.init.options.requestTimeoutMs)])
      const status = await this.init.transport.status(peer, this.ourStatus(), signal)
      this.onStatus(peer, status)
    } catch (err) {
      if (!this.stopped) this.init.log.debug({ peer, err: errorMessage(err) }, 'status request failed')
    } finally {
      p.polling = false
    }
  }

  ourStatus (): SyncStatus {
    const { chain } = this.init
    return { chainId: chain.chainId, height: chain.headHeight(), hash: chain.headHash() }
  }

  /** Decides the mode from our head and the peers' heads; serialised so switches never overlap. */
  private evaluate (): void {
    this.evaluating = this.evaluating.then(async () => await this.evaluateNow()).catch((err) => {
      this.init.log.warn({ err: errorMessage(err) }, 'sync evaluation failed')
    })
  }

  private async evaluateNow (): Promise<void> {
    if (this.stopped) return
    const head = this.init.chain.headHeight()
    const best = this.bestPeerHeight()
    if (this.modeNow === 'consensus') {
      if (best <= head) {
        this.lagSince = undefined
        return
      }
      if (best === head + 1) {
        // a busy node commits each height a little after its peers: only a head that has not
        // moved for the grace period means we are stuck behind, not merely slower
        if (this.lagHead !== head) {
          this.lagHead = head
          this.lagSince = this.now()
        }
        this.lagSince ??= this.now()
        if (this.now() - this.lagSince < this.init.options.lagGraceMs) {
          this.lagTimer ??= setTimeout(() => { this.lagTimer = undefined; this.evaluate() }, this.init.options.lagGraceMs)
          return
        }
      }
      this.init.log.info({ head, best }, 'behind the network: pausing consensus for block sync')
      this.modeNow = 'sync'
      this.lagSince = undefined
      this.lagHead = undefined
      this.init.consensus.pause()
    }
    if (this.running) return
    if (best > head) {
      this.running = true
      void this.syncLoop().finally(() => {
        this.running = false
        this.evaluate()
      })
      return
    }
    const known = [...this.peers.values()].some(p => p.height >= 0)
    if (!known && this.now() - this.startedAt < this.init.options.startupPeerWaitMs) return
    this.init.log.info({ head, best, peers: this.peers.size }, 'caught up: starting consensus')
    this.modeNow = 'consensus'
    await this.init.consensus.resume()
    // messages of this height cast before we joined were gossiped once and are gone: ask for them
    this.pullConsensusMessages()
  }

  /** Fetches and applies blocks until our head reaches the best peer's. */
  private async syncLoop (): Promise<void> {
    const { chain, options, log } = this.init
    const started = this.now()
    const startHead = chain.headHeight()
    const fetched = new Map<number, Fetched>()
    /** In-flight requests by first height, with their last height. */
    const inflight = new Map<number, { to: number, task: Promise<void> }>()
    const busy = new Map<string, number>()
    log.info({ head: startHead, best: this.bestPeerHeight() }, 'block sync started')

    const launch = (from: number, count: number, peer: string): void => {
      busy.set(peer, (busy.get(peer) ?? 0) + 1)
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(options.requestTimeoutMs)])
      const task = this.init.transport.blocks(peer, from, count, signal).then((blocks) => {
        for (const b of blocks) fetched.set(b.height, { peer, block: b })
        if (blocks.length < count) {
          // the peer claimed these heights and did not serve them: believe only what it proved
          this.lower(peer, from + blocks.length - 1)
          if (blocks.length === 0) this.init.transport.penalize(peer, PENALTY.unserved, `served none of ${from}…${from + count - 1}`)
        }
      }, (err) => {
        const timedOut = signal.aborted && !this.controller.signal.aborted
        this.init.transport.penalize(peer, timedOut ? PENALTY.timeout : PENALTY.protocol, `blocks ${from}+${count}: ${errorMessage(err)}`)
        this.lower(peer, from - 1)
      }).finally(() => {
        busy.set(peer, (busy.get(peer) ?? 1) - 1)
        inflight.delete(from)
      })
      inflight.set(from, { to: from + count - 1, task })
    }

    const pickPeer = (from: number): string | undefined => {
      let best: string | undefined
      let load = Infinity
      for (const [peer, p] of this.peers) {
        const b = busy.get(peer) ?? 0
        if (p.height >= from && b < load) { best = peer; load = b }
      }
      return best
    }

    const covered = (h: number): boolean => {
      if (fetched.has(h)) return true
      for (const [from, r] of inflight) if (h >= from && h <= r.to) return true
      return false
    }

    // buffered blocks are bounded: never request further than this ahead of the head
    const window = options.syncBatchBlocks * options.syncParallelRequests * 2
    while (!this.stopped) {
      const head = chain.headHeight()
      const limit = Math.min(this.bestPeerHeight(), head + window)
      let h = head + 1
      while (inflight.size < options.syncParallelRequests) {
        while (h <= limit && covered(h)) h++
        if (h > limit) break
        const peer = pickPeer(h)
        if (peer === undefined) break
        let to = h
        const peerTop = Math.min(limit, this.peers.get(peer)!.height)
        while (to + 1 <= peerTop && to + 1 - h < options.syncBatchBlocks && !covered(to + 1)) to++
        launch(h, to - h + 1, peer)
        h = to + 1
      }
      if (!fetched.has(head + 1)) {
        if (inflight.size === 0) break
        await Promise.race([...inflight.values()].map(r => r.task))
      }
      await this.applyReady(fetched)
    }
    const applied = chain.headHeight() - startHead
    const secs = Math.max(1, this.now() - started) / 1000
    log.info({ head: chain.headHeight(), applied, blocksPerSecond: Math.round(applied / secs) }, 'block sync finished a run')
  }

  /** Lowers what we believe a peer holds, after it failed to serve more. */
  private lower (peer: string, height: number): void {
    const p = this.peers.get(peer)
    if (p !== undefined) p.height = Math.min(p.height, height)
  }

  /** Applies consecutive fetched blocks from head + 1; a bad block costs its sender and is re-fetched. */
  private async applyReady (fetched: Map<number, Fetched>): Promise<void> {
    const { chain } = this.init
    for (;;) {
      const height = chain.headHeight() + 1
      const f = fetched.get(height)
      if (f === undefined || this.stopped) return
      fetched.delete(height)
      try {
        if (await applySyncBlock(chain, f.block)) this.syncedBlocks++
      } catch (err) {
        const points = err instanceof NetworkError && err.code === 'INVALID_BLOCK' ? PENALTY.invalidBlock : PENALTY.protocol
        this.init.transport.penalize(f.peer, points, errorMessage(err))
        // nothing else that peer sent can be trusted either
        for (const [h, other] of fetched) if (other.peer === f.peer) fetched.delete(h)
        this.lower(f.peer, height - 1)
        return
      }
    }
  }
}
