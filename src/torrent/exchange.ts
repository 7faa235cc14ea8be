/**
 * The slice-exchange service over libp2p (`/folio/slices/1.0.0`, MISSION.md §7): registers the
 * protocol handler on ANY libp2p node it is given (the network module's shared node, or one of its
 * own in tests and `folio seed`), serves slices from the `SliceStore`, and owns what is per peer:
 * scores, bans and the open channels. Downloads (`fetcher.ts`) open channels through it.
 *
 * Serving needs no key: a seeder sends stored ciphertext, which the receiver checks against the
 * card's leaf hashes. Each inbound channel serves its requests in order, reading one slice ahead
 * of the one being sent, taking the upload budget before each send and waiting for the stream to
 * drain, so a slow peer or a small budget back-pressures the requester's pipeline instead of
 * buffering slices in memory. A peer that sends anything that proves misbehaviour (malformed
 * frames, out-of-range indexes, forged or unsolicited slices) is disconnected and banned for a while.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { toHex } from '../codec/index.js'
import { errorMessage } from '../errors.js'
import type { UploadBudget } from './bandwidth.js'
import { WireChannel, type ChannelHandlers } from './channel.js'
import { SwarmError, isPeerFault } from './errors.js'
import { MAX_LEAVES_PER_MESSAGE, SLICE_PROTOCOL, WIRE_VERSION, checkAgainstCard, type WireMessage } from './wire.js'
import type { SliceStore } from './sliceStore.js'

export interface SwarmLog {
  debug: (obj: unknown, msg?: string) => void
  info: (obj: unknown, msg?: string) => void
  warn: (obj: unknown, msg?: string) => void
}

export interface ExchangeLimits {
  /** Requests one peer may have queued with us; more are refused as `busy`. */
  maxInFlightPerPeer: number
  maxInboundStreams: number
  maxOutboundStreams: number
  /** A peer must send its handshake this soon after opening a stream. */
  handshakeTimeoutMs: number
  /** How long a peer that misbehaved is refused and not dialled. */
  banMs: number
}

export const EXCHANGE_DEFAULTS: ExchangeLimits = {
  maxInFlightPerPeer: 16,
  maxInboundStreams: 256,
  maxOutboundStreams: 256,
  handshakeTimeoutMs: 10_000,
  banMs: 10 * 60_000
}

export interface ExchangeDeps {
  store: SliceStore
  log?: SwarmLog
  uploadBudget?: UploadBudget
  limits?: Partial<ExchangeLimits>
  now?: () => number
}

export interface ExchangeStats {
  servedSlices: number
  servedBytes: number
  inboundChannels: number
  peerFaults: number
  banned: number
}

const quiet: SwarmLog = { debug () {}, info () {}, warn () {} }

interface Serving {
  readonly peer: string
  readonly channel: WireChannel
  readonly cards: Set<string>
  readonly queue: Array<{ card: Uint8Array, index: number }>
  running: boolean
}

export class SliceExchange {
  readonly limits: ExchangeLimits
  readonly log: SwarmLog
  private readonly now: () => number
  private readonly serving = new Set<Serving>()
  private readonly bans = new Map<string, number>()
  private readonly outbound = new Set<WireChannel>()
  private registered = false
  private stats_ = { servedSlices: 0, servedBytes: 0, peerFaults: 0 }

  constructor (readonly libp2p: Libp2p, readonly deps: ExchangeDeps) {
    this.limits = { ...EXCHANGE_DEFAULTS, ...deps.limits }
    this.log = deps.log ?? quiet
    this.now = deps.now ?? Date.now
  }

  get store (): SliceStore {
    return this.deps.store
  }

  get peerId (): string {
    return this.libp2p.peerId.toString()
  }

  /** Multiaddrs (with /p2p/<id>) peers can dial to reach this node's slice service. */
  addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(a => a.toString())
  }

  async start (): Promise<void> {
    if (this.registered) return
    await this.libp2p.handle(SLICE_PROTOCOL, (stream, connection) => {
      this.accept(stream, connection.remotePeer)
    }, { maxInboundStreams: this.limits.maxInboundStreams, maxOutboundStreams: this.limits.maxOutboundStreams })
    this.registered = true
  }

  /** Unregisters the handler and closes every channel (the libp2p node itself is not ours to stop). */
  async stop (): Promise<void> {
    if (this.registered) await this.libp2p.unhandle(SLICE_PROTOCOL)
    this.registered = false
    for (const s of this.serving) s.channel.abort(new Error('slice service stopping'))
    for (const c of this.outbound) c.abort(new Error('slice service stopping'))
    this.serving.clear()
    this.outbound.clear()
  }

  isBanned (peer: string): boolean {
    const until = this.bans.get(peer)
    if (until == null) return false
    if (until > this.now()) return true
    this.bans.delete(peer)
    return false
  }

  /**
   * A peer proved it misbehaves (forged or unsolicited slice, malformed frame): ban it, drop
   * every channel with it and hang up the connection.
   */
  penalize (peer: string, reason: string): void {
    this.stats_.peerFaults++
    this.bans.set(peer, this.now() + this.limits.banMs)
    this.log.warn({ peer, reason }, 'slice peer misbehaved: disconnected and banned')
    for (const s of this.serving) if (s.peer === peer) s.channel.abort(new Error(reason))
    const conns = this.libp2p.getConnections().filter(c => c.remotePeer.toString() === peer)
    for (const c of conns) void c.close().catch(() => {})
  }

  /** Opens a channel to a peer for the download side (fetcher.ts); the caller handles its messages. */
  async dial (peer: string, multiaddrs: string[], handlers: ChannelHandlers, signal?: AbortSignal): Promise<WireChannel> {
    if (this.isBanned(peer)) throw new SwarmError('UNKNOWN_CARD', `peer ${peer} is banned for misbehaving`)
    const targets = multiaddrs.map(a => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peer}`))
    const stream = await this.libp2p.dialProtocol(targets.length > 0 ? targets : peerIdFromString(peer), SLICE_PROTOCOL, { signal })
    const channel = new WireChannel(stream, {
      ...handlers,
      maxPendingHandlers: 32,
      onClose: () => { this.outbound.delete(channel); handlers.onClose() }
    })
    this.outbound.add(channel)
    return channel
  }

  /** Tells every peer we serve `card` to that we now also have slice `index`. */
  announceHave (card: Uint8Array, index: number): void {
    const id = toHex(card)
    for (const s of this.serving) if (s.cards.has(id)) s.channel.post({ type: 'have', card, index })
  }

  stats (): ExchangeStats {
    let banned = 0
    for (const peer of this.bans.keys()) if (this.isBanned(peer)) banned++
    return { ...this.stats_, inboundChannels: this.serving.size, banned }
  }

  // ---- serving ----

  private accept (stream: Stream, remote: PeerId): void {
    const peer = remote.toString()
    if (this.isBanned(peer)) {
      stream.abort(new Error('banned'))
      return
    }
    let s: Serving | undefined
    const timer = setTimeout(() => {
      if (!handshaken) channel.abort(new Error('no handshake in time'))
    }, this.limits.handshakeTimeoutMs)
    let handshaken = false
    const channel = new WireChannel(stream, {
      maxPendingHandlers: 4,
      onMessage: async (msg) => {
        if (!handshaken) {
          if (msg.type !== 'handshake') throw new SwarmError('MALFORMED_MESSAGE', `expected a handshake, got ${msg.type}`)
          handshaken = true
          clearTimeout(timer)
          await this.onHandshake(s!, msg.cards)
          return
        }
        this.onServeMessage(s!, msg)
      },
      onError: (err) => {
        if (isPeerFault(err)) this.penalize(peer, errorMessage(err))
        else this.log.debug({ peer, err: errorMessage(err) }, 'slice channel ended')
      },
      onClose: () => {
        clearTimeout(timer)
        if (s != null) this.serving.delete(s)
      }
    })
    s = { peer, channel, cards: new Set(), queue: [], running: false }
    this.serving.add(s)
  }

  private async onHandshake (s: Serving, cards: Uint8Array[]): Promise<void> {
    const shared: Uint8Array[] = []
    const unknown: Uint8Array[] = []
    for (const card of cards) (this.store.cardContent(card) != null ? shared : unknown).push(card)
    await s.channel.send({ type: 'handshake', version: WIRE_VERSION, cards: shared, maxInFlight: this.limits.maxInFlightPerPeer })
    for (const card of shared) {
      s.cards.add(toHex(card))
      const bits = this.store.bitfield(card)
      if (bits != null) await s.channel.send({ type: 'bitfield', card, bits })
    }
    for (const card of unknown) await s.channel.send({ type: 'reject', card, index: 0, reason: 'unknown-card' })
  }

  private onServeMessage (s: Serving, msg: WireMessage): void {
    switch (msg.type) {
      case 'handshake':
        throw new SwarmError('MALFORMED_MESSAGE', 'a second handshake on one stream')
      case 'request': case 'cancel': case 'leaves-request': {
        const content = s.cards.has(toHex(msg.card)) ? this.store.cardContent(msg.card) : undefined
        if (content == null) {
          const index = msg.type === 'leaves-request' ? 0 : msg.index
          s.channel.post({ type: 'reject', card: msg.card, index, reason: 'unknown-card' })
          return
        }
        // Out-of-range indexes and leaf pages are the peer's fault: checkAgainstCard throws them.
        checkAgainstCard(msg, content, content.encrypted)
        if (msg.type === 'leaves-request') {
          void this.sendLeaves(s, msg.card, msg.from, msg.count)
        } else if (msg.type === 'cancel') {
          const i = s.queue.findIndex(q => q.index === msg.index && toHex(q.card) === toHex(msg.card))
          if (i >= 0) s.queue.splice(i, 1)
        } else if (s.queue.length >= this.limits.maxInFlightPerPeer) {
          s.channel.post({ type: 'reject', card: msg.card, index: msg.index, reason: 'busy' })
        } else {
          s.queue.push({ card: msg.card, index: msg.index })
          if (!s.running) void this.serveLoop(s)
        }
        return
      }
      case 'bitfield': case 'have': case 'reject':
        // A downloader may tell us what it has; we do not fetch from inbound channels.
        return
      case 'slice': case 'leaves':
        throw new SwarmError('SLICE_MISMATCH', `unsolicited ${msg.type} from a peer we never asked`)
    }
  }

  private async sendLeaves (s: Serving, card: Uint8Array, from: number, count: number): Promise<void> {
    const leaves = await this.store.leafHashes(card)
    if (leaves == null) return
    const n = Math.min(count, MAX_LEAVES_PER_MESSAGE)
    await s.channel.send({ type: 'leaves', card, from, hashes: leaves.slice(from, from + n) }).catch(() => {})
  }

  private async serveLoop (s: Serving): Promise<void> {
    s.running = true
    try {
      let next: { card: Uint8Array, index: number, read: Promise<Uint8Array | undefined> } | undefined
      while (s.channel.isOpen) {
        const cur = next ?? this.takeNext(s)
        if (cur == null) break
        next = undefined
        const bytes = await cur.read
        // Read the following slice from disk while this one goes out.
        next = this.takeNext(s)
        if (bytes == null) {
          s.channel.post({ type: 'reject', card: cur.card, index: cur.index, reason: 'not-present' })
          continue
        }
        await this.takeBudget(bytes.length)
        await s.channel.send({ type: 'slice', card: cur.card, index: cur.index, bytes })
        this.stats_.servedSlices++
        this.stats_.servedBytes += bytes.length
      }
    } catch (err) {
      this.log.debug({ peer: s.peer, err: errorMessage(err) }, 'serving stopped')
    } finally {
      s.running = false
    }
  }

  private takeNext (s: Serving): { card: Uint8Array, index: number, read: Promise<Uint8Array | undefined> } | undefined {
    const q = s.queue.shift()
    if (q == null) return undefined
    const read = this.store.get(q.card, q.index).catch(() => undefined)
    return { ...q, read }
  }

  private async takeBudget (bytes: number): Promise<void> {
    const budget = this.deps.uploadBudget
    if (budget == null) return
    for (;;) {
      const wait = budget.take(bytes, this.now())
      if (wait === 0) return
      await new Promise(resolve => setTimeout(resolve, wait))
    }
  }
}

/** Registers the slice service on `libp2p` and returns it started (see `SliceExchange.stop`). */
export async function registerSliceExchange (libp2p: Libp2p, deps: ExchangeDeps): Promise<SliceExchange> {
  const ex = new SliceExchange(libp2p, deps)
  await ex.start()
  return ex
}
