/**
 * One card being downloaded: the shell around the pure `SlicePicker`. It finds seeders through a
 * `SeederSource`, opens a slice channel to each (`SliceExchange.dial`), fetches the card's leaf
 * layer once and checks it against `contentRoot` (BEP 52's idea), and feeds the picker every
 * event — bitfield, have, slice, reject, peer gone — and sends the requests and cancels it
 * decides, one pick per batch of events (coalesced on `setImmediate`) plus a tick for timeouts.
 *
 * The picker runs from the start, so the first slice requests go out with the leaf-layer request
 * instead of a round trip after it. A slice that arrives before the layer is verified is held
 * (only if it was requested from that peer: at most the requests in flight) and checked against
 * its leaf the moment the layer is — no byte is stored, counted or handed to a reader before.
 *
 * Every slice is checked against its leaf hash before the picker counts it. A forged slice, a
 * slice nobody asked that peer for, or a leaf layer that does not match the root is proof of
 * misbehaviour: the peer is dropped from this download and the exchange bans it; its requests go
 * to the others at once. Seeders that vanish are replaced from the seeder source.
 */
import { toHex } from '../codec/index.js'
import { errorMessage } from '../errors.js'
import { countBits, emptyBitfield } from './bitfield.js'
import type { WireChannel } from './channel.js'
import { SwarmError, isPeerFault } from './errors.js'
import type { SliceExchange } from './exchange.js'
import { storedSliceLength } from './layout.js'
import { verifyLeafLayer, verifySlice } from './merkle.js'
import { SlicePicker, type PickerMode, type PickerOptions } from './picker.js'
import type { CardContent } from './sliceStore.js'
import type { SeederAddress, SeederSource } from './sources.js'
import { MAX_LEAVES_PER_MESSAGE, WIRE_VERSION, checkAgainstCard, type WireMessage } from './wire.js'

export interface DownloadOptions {
  mode: PickerMode
  seeders: SeederSource
  /** Seeders connected at once. */
  maxPeers?: number
  /** How often the seeder source is asked again while fewer than maxPeers are connected. */
  refreshMs?: number
  picker?: Partial<Omit<PickerOptions, 'sliceCount' | 'mode' | 'have'>>
  /** Pin the card in the store (a user's explicit fetch or seed). */
  pinned?: boolean
}

export interface DownloadProgress {
  card: string
  mode: PickerMode
  sliceCount: number
  have: number
  bytes: number
  size: number
  peers: number
  complete: boolean
  /** Bytes of slices received from peers since the download started. */
  received: number
  startedAt: number
}

interface PeerSession {
  readonly peer: string
  /**
   * Requests sent to this peer per slice and not yet answered (by the slice or a reject). A slice
   * may cross our cancel — an endgame loser, a timeout, a seek — and is no offence then; one that
   * was never asked for is.
   */
  readonly asked: Map<number, number>
  channel?: WireChannel
  handshaken: boolean
  bits?: Uint8Array
  limit: number
  inPicker: boolean
}

/** How long the first seeder is dialled alone before the others (see connectStaggered). */
const STAGGER_MS = 100
/**
 * Bytes of slices held while the leaf layer is on its way. Requests in flight bound them already;
 * this bounds them when the layer is slow and timed-out requests are re-issued: past it, a slice
 * is dropped and asked again later.
 */
const MAX_HELD_BYTES = 32 * 1024 * 1024

interface Deferred { promise: Promise<void>, resolve: () => void, reject: (e: unknown) => void }

function deferred (): Deferred {
  let resolve!: () => void
  let reject!: (e: unknown) => void
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

export class Download {
  readonly id: string
  readonly startedAt = Date.now()
  private picker?: SlicePicker
  private leaves?: Uint8Array[]
  private leafPages = new Map<number, Uint8Array[]>()
  private leavesFrom?: string
  private readonly peers = new Map<string, PeerSession>()
  private readonly waiters = new Map<number, Array<{ resolve: (bytes: Uint8Array | undefined) => void, reject: (e: unknown) => void }>>()
  /** Slices received before the leaf layer was verified and the card registered in the store. */
  private held: Array<{ s: PeerSession, index: number, bytes: Uint8Array }> = []
  private heldBytes = 0
  /** The leaf layer is verified and the card is in the store: slices can be checked and stored. */
  private ready = false
  private pickQueued = false
  private position = 0
  private timers: NodeJS.Timeout[] = []
  private stopped = false
  private received = 0
  private failure?: Error
  private readonly doneP = deferred()
  /** Resolved by the first slice any peer delivers (see connectStaggered). */
  private readonly firstSlice = deferred()

  constructor (readonly exchange: SliceExchange, readonly card: Uint8Array, readonly content: CardContent, readonly opts: DownloadOptions) {
    this.id = toHex(card)
    this.doneP.promise.catch(() => {})
  }

  /** Resolves once every slice is stored; rejects if the download fails for good (e.g. over budget). */
  get done (): Promise<void> {
    return this.doneP.promise
  }

  get mode (): PickerMode {
    return this.opts.mode
  }

  async start (): Promise<void> {
    const store = this.exchange.store
    if (store.cardContent(this.card) != null) {
      this.leaves = await store.leafHashes(this.card)
      this.ready = true
      if (this.opts.pinned === true) await store.setPinned(this.card, true)
    }
    this.startPicker()
    if (this.picker?.isComplete() === true) { this.finish(); return }
    this.timers.push(setInterval(() => { this.schedulePick() }, 100))
    this.timers.push(setInterval(() => { void this.refreshPeers() }, this.opts.refreshMs ?? 2_000))
    await this.refreshPeers()
  }

  stop (reason = 'stopped'): void {
    if (this.stopped) return
    this.stopped = true
    for (const t of this.timers) clearInterval(t)
    for (const s of this.peers.values()) void s.channel?.close()
    this.peers.clear()
    this.held = []
    this.heldBytes = 0
    const err = this.failure ?? new SwarmError('STORE_IO', `download of ${this.id} ${reason}`)
    for (const list of this.waiters.values()) for (const w of list) w.reject(err)
    this.waiters.clear()
    if (this.picker?.isComplete() !== true) this.doneP.reject(err)
  }

  /** Playback moved to slice `index` (streaming): the picker's window follows it. */
  setPosition (index: number): void {
    if (this.opts.mode !== 'stream' || index >= this.content.sliceCount) return
    // Remembered for a picker that starts later (the leaf layer is still on its way).
    this.position = index
    if (this.picker != null) {
      this.picker.setPosition(index, Date.now())
      this.schedulePick()
    }
  }

  /**
   * Resolves when slice `index` is verified: with its bytes when it has just arrived (they are
   * checked against the verified leaf layer; the disk write goes on in parallel), or undefined
   * when it is already in the store.
   */
  async waitSlice (index: number, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    if (this.exchange.store.has(this.card, index)) return undefined
    if (this.stopped) throw this.failure ?? new SwarmError('STORE_IO', `download of ${this.id} is stopped`)
    let resolve!: (bytes: Uint8Array | undefined) => void
    let reject!: (e: unknown) => void
    const promise = new Promise<Uint8Array | undefined>((res, rej) => { resolve = res; reject = rej })
    const w = { promise, resolve, reject }
    const list = this.waiters.get(index) ?? []
    list.push(w)
    this.waiters.set(index, list)
    const onAbort = (): void => { w.reject(signal?.reason ?? new Error('aborted')) }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await w.promise
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  progress (): DownloadProgress {
    const bits = this.exchange.store.bitfield(this.card)
    const have = bits == null ? 0 : countBits(bits)
    const bytes = have === this.content.sliceCount ? this.content.size : have * this.content.sliceSize
    let peers = 0
    for (const s of this.peers.values()) if (s.handshaken) peers++
    return { card: this.id, mode: this.opts.mode, sliceCount: this.content.sliceCount, have, bytes, size: this.content.size, peers, complete: have === this.content.sliceCount, received: this.received, startedAt: this.startedAt }
  }

  // ---- peers ----

  private async refreshPeers (): Promise<void> {
    if (this.stopped) return
    const max = this.opts.maxPeers ?? 8
    if (this.peers.size >= max) return
    let found
    try {
      found = await this.opts.seeders.find(this.card)
    } catch (err) {
      this.exchange.log.debug({ card: this.id, err: errorMessage(err) }, 'seeder lookup failed')
      return
    }
    void this.connectStaggered(found, max)
  }

  /**
   * Dials the seeders, the first one alone when none is connected yet: the others start once it
   * has delivered a slice, or failed, or after `STAGGER_MS`. Connection handshakes cost CPU on
   * this node; started all at once, eight of them delay the first slice a player waits for by
   * as many handshakes (on loopback with three seeders: first byte 40-65 ms instead of 15-30).
   */
  private async connectStaggered (found: SeederAddress[], max: number): Promise<void> {
    let alone = this.peers.size === 0
    for (const a of found) {
      if (this.stopped || this.peers.size >= max) break
      if (a.peerId === this.exchange.peerId || this.peers.has(a.peerId) || this.exchange.isBanned(a.peerId)) continue
      const connecting = this.connect(a.peerId, a.multiaddrs)
      if (!alone) continue
      alone = false
      let timer: NodeJS.Timeout | undefined
      const delivered = connecting.then(async () => { if (this.peers.has(a.peerId)) await this.firstSlice.promise })
      await Promise.race([delivered, new Promise(resolve => { timer = setTimeout(resolve, STAGGER_MS) })])
      clearTimeout(timer)
    }
  }

  private async connect (peer: string, multiaddrs: string[]): Promise<void> {
    const s: PeerSession = { peer, asked: new Map(), handshaken: false, limit: 0, inPicker: false }
    this.peers.set(peer, s)
    try {
      s.channel = await this.exchange.dial(peer, multiaddrs, {
        maxSliceBytes: storedSliceLength(this.content, 0, this.content.encrypted),
        onMessage: (msg) => this.onMessage(s, msg),
        onError: (err) => { this.onPeerError(s, err) },
        onClose: () => { this.dropPeer(s) }
      }, AbortSignal.timeout(10_000))
      if (this.stopped) { void s.channel.close(); return }
      await s.channel.send({ type: 'handshake', version: WIRE_VERSION, cards: [this.card], maxInFlight: 0 })
    } catch (err) {
      this.exchange.log.debug({ peer, card: this.id, err: errorMessage(err) }, 'could not reach seeder')
      this.dropPeer(s)
    }
  }

  private onPeerError (s: PeerSession, err: unknown): void {
    if (isPeerFault(err)) this.exchange.penalize(s.peer, `${errorMessage(err)} (card ${this.id})`)
    else this.exchange.log.debug({ peer: s.peer, err: errorMessage(err) }, 'seeder channel ended')
    this.dropPeer(s)
  }

  private dropPeer (s: PeerSession): void {
    if (this.peers.get(s.peer) !== s) return
    this.peers.delete(s.peer)
    if (s.inPicker) this.picker?.removePeer(s.peer)
    if (s.channel?.isOpen === true) void s.channel.close()
    if (this.leavesFrom === s.peer) {
      this.leavesFrom = undefined
      this.leafPages.clear()
      this.requestLeaves()
    }
    this.schedulePick()
  }

  // ---- messages ----

  private onMessage (s: PeerSession, msg: WireMessage): void | Promise<void> {
    if (msg.type !== 'handshake' && toHex(msg.card) !== this.id) {
      throw new SwarmError('MALFORMED_MESSAGE', `message about card ${toHex(msg.card)} on a channel for ${this.id}`)
    }
    if (msg.type !== 'handshake') checkAgainstCard(msg, this.content, this.content.encrypted)
    switch (msg.type) {
      case 'handshake':
        if (s.handshaken) throw new SwarmError('MALFORMED_MESSAGE', 'a second handshake')
        s.handshaken = true
        s.limit = msg.maxInFlight
        if (!msg.cards.some(c => toHex(c) === this.id)) { this.dropPeer(s); return }
        this.requestLeaves()
        return
      case 'bitfield':
        s.bits = Uint8Array.from(msg.bits)
        this.addToPicker(s)
        return
      case 'have':
        if (s.bits == null) s.bits = emptyBitfield(this.content.sliceCount)
        if (s.inPicker) this.picker!.onHave(s.peer, msg.index)
        else s.bits[msg.index >> 3]! |= 0x80 >> (msg.index & 7)
        this.schedulePick()
        return
      case 'leaves':
        this.onLeaves(s, msg.from, msg.hashes)
        return
      case 'reject':
        if (msg.reason === 'unknown-card') { this.dropPeer(s); return }
        this.answered(s, msg.index)
        if (s.inPicker) this.picker!.onReject(s.peer, msg.index)
        this.schedulePick()
        return
      case 'slice':
        return this.onSlice(s, msg.index, msg.bytes)
      case 'request': case 'cancel': case 'leaves-request':
        // We serve on inbound channels only; a seeder asking us on ours is ignored.
    }
  }

  private onSlice (s: PeerSession, index: number, bytes: Uint8Array): Promise<void> | undefined {
    if (!s.inPicker || this.picker == null) throw new SwarmError('SLICE_MISMATCH', `unsolicited slice ${index}`)
    this.firstSlice.resolve()
    if (!this.answered(s, index)) throw new SwarmError('SLICE_MISMATCH', `slice ${index} was never requested from this peer`)
    // Crossed with our cancel: dropped unchecked, not counted.
    if (!this.picker.inFlight(s.peer).includes(index)) return
    if (!this.ready) {
      if (this.heldBytes + bytes.length > MAX_HELD_BYTES) return
      this.held.push({ s, index, bytes })
      this.heldBytes += bytes.length
      return
    }
    return this.accept(s, index, bytes)
  }

  /** A slice that was asked of `s`: checked against its leaf, counted, handed to readers, stored. */
  private accept (s: PeerSession, index: number, bytes: Uint8Array): Promise<void> | undefined {
    if (!verifySlice(this.leaves!, index, bytes)) throw new SwarmError('SLICE_MISMATCH', `slice ${index} does not match its leaf hash`)
    const outcome = this.picker!.onSlice(s.peer, index, Date.now())
    this.schedulePick()
    // 'unsolicited' here: the request was withdrawn while the slice waited for the leaf layer.
    if (outcome !== 'wanted') return
    this.received += bytes.length
    // A reader waiting for this slice gets the verified bytes now, not after the disk round trip.
    const list = this.waiters.get(index)
    this.waiters.delete(index)
    for (const w of list ?? []) w.resolve(bytes)
    this.storing++
    return this.exchange.store.put(this.card, index, bytes, { verified: true }).then(() => {
      this.storing--
      this.exchange.announceHave(this.card, index)
      // Readers that started waiting while the write was in flight read it from the store.
      const late = this.waiters.get(index)
      this.waiters.delete(index)
      for (const w of late ?? []) w.resolve(undefined)
      // done only once every received slice is on disk, not merely received: puts finish out of order
      if (this.picker?.isComplete() === true && this.storing === 0) this.finish()
    }, (err) => {
      this.storing--
      this.failure = err instanceof Error ? err : new Error(String(err))
      this.exchange.log.warn({ card: this.id, err: errorMessage(err) }, 'cannot store slice; download stopped')
      this.stop('failed')
    })
  }

  // ---- leaves ----

  private requestLeaves (): void {
    if (this.leaves != null || this.leavesFrom != null || this.stopped) return
    const s = [...this.peers.values()].find(p => p.handshaken && p.channel?.isOpen === true)
    if (s == null) return
    this.leavesFrom = s.peer
    for (let from = 0; from < this.content.sliceCount; from += MAX_LEAVES_PER_MESSAGE) {
      s.channel!.post({ type: 'leaves-request', card: this.card, from, count: Math.min(MAX_LEAVES_PER_MESSAGE, this.content.sliceCount - from) })
    }
  }

  private onLeaves (s: PeerSession, from: number, hashes: Uint8Array[]): void {
    if (this.leaves != null) return
    if (this.leavesFrom !== s.peer || from % MAX_LEAVES_PER_MESSAGE !== 0) throw new SwarmError('LEAVES_MISMATCH', 'unsolicited leaf hashes')
    const expected = Math.min(MAX_LEAVES_PER_MESSAGE, this.content.sliceCount - from)
    if (hashes.length !== expected) throw new SwarmError('LEAVES_MISMATCH', `leaf page at ${from} has ${hashes.length} hashes, expected ${expected}`)
    this.leafPages.set(from, hashes)
    const pages = Math.ceil(this.content.sliceCount / MAX_LEAVES_PER_MESSAGE)
    if (this.leafPages.size < pages) return
    const all = [...this.leafPages.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, h]) => h)
    this.leafPages.clear()
    if (!verifyLeafLayer(this.content.contentRoot, all, this.content.sliceCount)) {
      throw new SwarmError('LEAVES_MISMATCH', 'the leaf hashes do not match the card\'s content root')
    }
    this.leaves = all
    void this.exchange.store.addCard(this.card, this.content, all, { pinned: this.opts.pinned === true }).then(() => {
      this.ready = true
      this.releaseHeld()
    }, (err) => {
      this.failure = err instanceof Error ? err : new Error(String(err))
      this.stop('failed')
    })
  }

  /** Counts one answer to a request for `index` from `s`; false if none was outstanding. */
  private answered (s: PeerSession, index: number): boolean {
    const n = s.asked.get(index) ?? 0
    if (n === 0) return false
    if (n === 1) s.asked.delete(index)
    else s.asked.set(index, n - 1)
    return true
  }

  /** The layer is verified: check and take the slices that arrived before it, in arrival order. */
  private releaseHeld (): void {
    const held = this.held
    this.held = []
    this.heldBytes = 0
    for (const h of held) {
      if (this.stopped) return
      if (this.peers.get(h.s.peer) !== h.s) continue
      try {
        void this.accept(h.s, h.index, h.bytes)
      } catch (err) {
        this.onPeerError(h.s, err)
      }
    }
  }

  // ---- picking ----

  private startPicker (): void {
    if (this.picker != null || this.stopped) return
    const have = this.exchange.store.bitfield(this.card) ?? emptyBitfield(this.content.sliceCount)
    this.picker = new SlicePicker({ ...this.opts.picker, sliceCount: this.content.sliceCount, mode: this.opts.mode, have })
    if (this.position > 0) this.picker.setPosition(this.position, Date.now())
    for (const s of this.peers.values()) this.addToPicker(s)
    if (this.picker.isComplete()) this.finish()
    this.schedulePick()
  }

  private addToPicker (s: PeerSession): void {
    if (this.picker == null || s.bits == null || s.inPicker) return
    this.picker.addPeer(s.peer, s.bits)
    this.picker.setPeerLimit(s.peer, s.limit)
    s.inPicker = true
    this.schedulePick()
  }

  /** Slices received and not yet written to the store. */
  private storing = 0

  private schedulePick (): void {
    if (this.pickQueued || this.stopped || this.picker == null) return
    this.pickQueued = true
    setImmediate(() => {
      this.pickQueued = false
      if (this.stopped || this.picker == null) return
      for (const d of this.picker.pick(Date.now())) {
        const s = this.peers.get(d.peer)
        if (d.type === 'request' && s != null) s.asked.set(d.index, (s.asked.get(d.index) ?? 0) + 1)
        s?.channel?.post({ type: d.type, card: this.card, index: d.index })
      }
    })
  }

  private finish (): void {
    this.doneP.resolve()
    if (this.opts.mode === 'bulk') {
      for (const t of this.timers) clearInterval(t)
      this.timers = []
      for (const s of this.peers.values()) void s.channel?.close()
      this.peers.clear()
    }
  }
}
