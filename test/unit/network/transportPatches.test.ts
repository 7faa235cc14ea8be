/**
 * The libp2p transport under folio's patches (patches/, decision 0019), checked against the
 * installed packages so that a reinstall without them fails here, not in a benchmark:
 *
 * - The length-prefixed decoder that Noise reads its frames with stops when its buffer is empty,
 *   instead of asking the length decoder to fail on zero bytes once per chunk read.
 * - Yamux keeps granting room to a sender whose window is smaller than the receiver's: the swarm's
 *   host opens 4 MiB windows, a node's shared host the protocol's 256 KiB. A patch that made Yamux
 *   acknowledge only once half of the receiver's own window was used stalled exactly there, and
 *   was withdrawn (decision 0019).
 */
import { expect } from 'chai'
import { yamux } from '@chainsafe/libp2p-yamux'
import { LengthPrefixedDecoder, multiaddrConnectionPair } from '@libp2p/utils'
import type { MultiaddrConnection, Stream, StreamMuxer } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'

const FRAME_HEADER = 12
const WINDOW_UPDATE = 1

/** Counts the yamux frames a connection sends, by type, from the bytes handed to it. */
function countFrames (conn: MultiaddrConnection): Map<number, number> {
  const counts = new Map<number, number>()
  const pending = new Uint8ArrayList()
  const send = conn.send.bind(conn)
  conn.send = (data) => {
    pending.append(data instanceof Uint8Array ? data : data.subarray())
    while (pending.byteLength >= FRAME_HEADER) {
      const type = pending.get(1)
      const length = pending.getUint32(8)
      // a data frame carries `length` bytes after its header; every other frame is a header alone
      const size = FRAME_HEADER + (type === 0 ? length : 0)
      if (pending.byteLength < size) break
      counts.set(type, (counts.get(type) ?? 0) + 1)
      pending.consume(size)
    }
    return send(data)
  }
  return counts
}

type YamuxInit = Parameters<typeof yamux>[0]

async function muxedPair (bInit: YamuxInit = {}): Promise<{ a: StreamMuxer, b: StreamMuxer, sentByB: Map<number, number>, inbound: Promise<Stream> }> {
  const [outbound, inbound] = multiaddrConnectionPair()
  const sentByB = countFrames(inbound)
  const a = yamux()().createStreamMuxer(outbound)
  const b = yamux(bInit)().createStreamMuxer(inbound)
  const remote = new Promise<Stream>(resolve => { b.addEventListener('stream', (evt) => { resolve(evt.detail) }, { once: true }) })
  return { a, b, sentByB, inbound: remote }
}

async function receive (stream: Stream, bytes: number): Promise<void> {
  let seen = 0
  await new Promise<void>((resolve) => {
    stream.addEventListener('message', (evt) => {
      seen += evt.data.byteLength
      if (seen >= bytes) resolve()
    })
  })
}

describe('network/transport patches', () => {
  it('yamux: a receiver with a larger window than the sender still grants it room in time', async () => {
    // the swarm's host opens 4 MiB windows; a node's shared host keeps the protocol's 256 KiB, and
    // its streams start with only that much to send whatever the receiver's own size
    const { a, b, sentByB, inbound } = await muxedPair({ streamOptions: { initialStreamWindowSize: 4 * 1024 * 1024, maxStreamWindowSize: 16 * 1024 * 1024 } })
    const stream = await a.createStream()
    const total = 4 * 1024 * 1024
    const chunk = new Uint8Array(64 * 1024).fill(3)
    const received = inbound.then(async s => { await receive(s, total) })
    for (let sent = 0; sent < total; sent += chunk.length) {
      if (!stream.send(chunk)) await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
    }
    await received
    // 4 MiB through a window the sender starts at 256 KiB: it needed the receiver's updates
    expect(sentByB.get(WINDOW_UPDATE) ?? 0).to.be.at.least(2)
    await Promise.all([a.close(), b.close()])
  })

  it('length-prefixed decoder: whole frames never make the length decoder fail on an empty buffer', () => {
    let failures = 0
    // Noise's 2-byte big-endian length, which throws RangeError when fewer than two bytes remain
    const lengthDecoder = (buf: { byteLength: number, subarray: (start: number, end: number) => Uint8Array }): number => {
      if (buf.byteLength < 2) { failures++; throw new RangeError('need two bytes') }
      const [hi, lo] = buf.subarray(0, 2)
      return (hi << 8) | lo
    }
    const decoder = new LengthPrefixedDecoder({ lengthDecoder, encodingLength: () => 2 })
    const frame = (n: number): Uint8Array => { const f = new Uint8Array(2 + n).fill(n); f[0] = n >> 8; f[1] = n & 0xff; return f }
    const out: number[] = []
    for (let i = 1; i <= 50; i++) for (const msg of decoder.decode(frame(i))) out.push(msg.byteLength)
    expect(out).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1))
    expect(failures).to.equal(0)
    // frames split across chunks and several in one chunk still decode
    const two = new Uint8ArrayList(frame(300), frame(5)).subarray()
    const parts = [two.subarray(0, 1), two.subarray(1, 150), two.subarray(150)]
    const split: number[] = []
    for (const part of parts) for (const msg of decoder.decode(part)) split.push(msg.byteLength)
    expect(split).to.deep.equal([300, 5])
  })
})
