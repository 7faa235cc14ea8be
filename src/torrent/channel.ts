/**
 * One slice-protocol stream as a channel of `WireMessage`s: length-prefixed frames (unsigned
 * varint, as libp2p's protocols use), decoded strictly by `decodeMessage`, written with
 * back-pressure. libp2p 3 streams are event targets: `send()` returning false means the muxer's
 * buffer is full, so every later write waits for `onDrain()` — writes are serialised through one
 * promise chain so that frames never interleave and a fast producer (a seeder reading slices from
 * page cache) cannot fill memory faster than the peer reads.
 *
 * Inbound, a handler may return a promise (storing a slice on disk); while more than
 * `maxPendingHandlers` are unsettled the stream is paused, which yamux turns into a closed
 * receive window for the sender — the receiver's disk slows the sender, not the receiver's heap.
 */
import type { Stream } from '@libp2p/interface'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { SwarmError } from './errors.js'
import { FRAME_OVERHEAD, decodeMessage, encodeMessage, sliceHeader, type WireMessage } from './wire.js'
import { AEAD_TAG_BYTES, MAX_SLICE_SIZE } from './layout.js'

export interface ChannelHandlers {
  /** The largest sealed slice this channel accepts (frames above it + overhead are refused unparsed). */
  maxSliceBytes?: number
  onMessage: (msg: WireMessage) => void | Promise<void>
  /** A frame or a handler failed: the channel is aborted with this error (decide on scoring here). */
  onError: (err: unknown) => void
  /** The stream closed, for whatever reason; called once. */
  onClose: () => void
}

export interface ChannelOptions extends ChannelHandlers {
  /** Unsettled inbound handlers before the stream is paused. */
  maxPendingHandlers?: number
}

function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Uint8Array.from(out)
}

export class WireChannel {
  private readonly decoder: LengthPrefixedDecoder
  private readonly maxSlice: number
  private readonly maxFrame: number
  private writes: Promise<void> = Promise.resolve()
  private pending = 0
  private paused = false
  private closed = false
  private failed = false
  /** Bytes written, for rate statistics. */
  bytesSent = 0
  bytesReceived = 0

  constructor (readonly stream: Stream, private readonly opts: ChannelOptions) {
    this.maxSlice = Math.min(opts.maxSliceBytes ?? MAX_SLICE_SIZE + AEAD_TAG_BYTES, MAX_SLICE_SIZE + AEAD_TAG_BYTES)
    const maxFrame = this.maxSlice + FRAME_OVERHEAD
    this.maxFrame = maxFrame
    // The decoder refuses a length prefix above the largest frame before buffering its body. It
    // is fed at most a frame's worth at a time (see receive), so it holds at most the rest of one
    // frame and one piece: a bound on memory that no legitimate grouping of frames can exceed.
    this.decoder = new LengthPrefixedDecoder({ maxDataLength: maxFrame, maxBufferSize: 2 * maxFrame + 16 })
    const inFlight = opts.maxPendingHandlers ?? 16
    // Room for what a peer may have in flight when we pause, so pausing never resets the stream.
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, (inFlight + 8) * (maxFrame + 16))
    // Two copies of uint8arraylist live in node_modules; their types differ, their shape does not.
    stream.addEventListener('message', (evt) => { this.receive(evt.data as Parameters<LengthPrefixedDecoder['decode']>[0]) })
    stream.addEventListener('close', () => { this.finish() })
  }

  get isOpen (): boolean {
    return !this.closed && this.stream.status === 'open'
  }

  /** Queues a message; resolves when it has been handed to the muxer (after any drain wait). */
  async send (msg: WireMessage): Promise<void> {
    // A slice goes out as its small header and its payload, uncopied; the muxer gathers both into
    // its frames. Every other message is small and encoded whole.
    const head = msg.type === 'slice' ? sliceHeader(msg.card, msg.index, msg.bytes.length) : encodeMessage(msg)
    const body = msg.type === 'slice' ? msg.bytes : undefined
    const length = head.length + (body?.length ?? 0)
    const run = this.writes.then(async () => {
      if (!this.isOpen) throw new SwarmError('STORE_IO', 'the slice channel is closed')
      if (this.stream.writableNeedsDrain) await this.stream.onDrain()
      this.bytesSent += length
      const prefix = varint(length)
      const first = new Uint8Array(prefix.length + head.length)
      first.set(prefix, 0)
      first.set(head, prefix.length)
      // One send, so the muxer sees one chunk list and frames it whole (two sends = two frames).
      this.stream.send(body == null ? first : new Uint8ArrayList(first, body) as unknown as Parameters<Stream['send']>[0])
    })
    this.writes = run.catch(() => {})
    await run
  }

  /** Sends without waiting; a failure closes the channel (the peer is gone). */
  post (msg: WireMessage): void {
    this.send(msg).catch(() => { this.abort(new SwarmError('STORE_IO', 'write to peer failed')) })
  }

  async close (): Promise<void> {
    if (this.closed) return
    try {
      await this.writes
      await this.stream.close({ signal: AbortSignal.timeout(2_000) })
    } catch {
      this.stream.abort(new Error('close timed out'))
    }
    this.finish()
  }

  abort (err: Error): void {
    if (!this.closed) this.stream.abort(err)
    this.finish()
  }

  private receive (data: Parameters<LengthPrefixedDecoder['decode']>[0]): void {
    if (this.failed) return
    this.bytesReceived += data.byteLength
    try {
      // A stream hands over everything it holds at once: after a pause, every frame the sender had
      // window for (megabytes on the swarm's host). The decoder checks its buffer against a limit
      // before it takes frames out, so it gets the data a frame's worth at a time.
      for (let at = 0; at < data.byteLength; at += this.maxFrame) {
        const end = Math.min(at + this.maxFrame, data.byteLength)
        const piece = at === 0 && end === data.byteLength ? data : data instanceof Uint8Array ? data.subarray(at, end) : data.sublist(at, end)
        for (const frame of this.decoder.decode(piece)) {
          const msg = decodeMessage(frame.subarray(), { maxSliceBytes: this.maxSlice })
          const r = this.opts.onMessage(msg)
          if (r instanceof Promise) this.track(r)
        }
      }
    } catch (err) {
      this.fail(err instanceof SwarmError ? err : new SwarmError('MESSAGE_TOO_LARGE', `bad frame: ${err instanceof Error ? err.message : String(err)}`))
    }
  }

  private track (p: Promise<void>): void {
    this.pending++
    if (!this.paused && this.pending >= (this.opts.maxPendingHandlers ?? 16)) {
      this.paused = true
      this.stream.pause()
    }
    p.then(() => {
      this.pending--
      if (this.paused && this.pending < (this.opts.maxPendingHandlers ?? 16) / 2) {
        this.paused = false
        if (this.isOpen) this.stream.resume()
      }
    }, (err) => { this.pending--; this.fail(err) })
  }

  private fail (err: unknown): void {
    if (this.failed) return
    this.failed = true
    this.opts.onError(err)
    this.abort(err instanceof Error ? err : new Error(String(err)))
  }

  private finish (): void {
    if (this.closed) return
    this.closed = true
    this.opts.onClose()
  }
}
