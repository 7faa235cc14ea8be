/**
 * The TCP transport that gathers a connection's buffer list into one socket write: a list goes
 * out as one `writev` with its bytes in order, a connection that is not a socket is left alone,
 * and two libp2p hosts on it (Noise, Yamux) exchange large messages intact in both directions.
 */
import { expect } from 'chai'
import { createServer, connect, type NetConnectOpts, type Server, type Socket } from 'node:net'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { createLibp2p, type Libp2p } from 'libp2p'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { MultiaddrConnection } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { gatherWrites, tcpTransport } from '../../../src/network/tcpTransport.js'

type SendData = (data: Uint8ArrayList) => { sentBytes: number, canSendMore: boolean }

/** What @libp2p/tcp's connection does: one socket.write per buffer of the list. */
function writePerBuffer (this: { socket: Socket }, data: Uint8ArrayList): { sentBytes: number, canSendMore: boolean } {
  let sentBytes = 0
  let canSendMore = true
  for (const buf of data) {
    sentBytes += buf.byteLength
    canSendMore = this.socket.write(buf)
    if (!canSendMore) break
  }
  return { sentBytes, canSendMore }
}

describe('network/tcpTransport', () => {
  let server: Server | undefined
  const hosts: Libp2p[] = []

  afterEach(async () => {
    server?.close()
    server = undefined
    await Promise.all(hosts.splice(0).map(async h => { await h.stop() }))
  })

  async function socketPair (): Promise<{ client: Socket, received: () => Buffer }> {
    const chunks: Buffer[] = []
    server = createServer(s => { s.on('data', (d: Buffer) => chunks.push(d)) })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as { port: number }
    // Room for the whole list: Node's default high-water mark (16 KiB) would stop the loop early.
    const opts: NetConnectOpts & { highWaterMark: number } = { host: '127.0.0.1', port, highWaterMark: 1 << 20 }
    const client = connect(opts)
    await once(client, 'connect')
    return { client, received: () => Buffer.concat(chunks) }
  }

  it('hands a whole buffer list to the socket as one writev, bytes in order', async () => {
    const { client, received } = await socketPair()
    const conn = { socket: client, sendData: writePerBuffer }
    gatherWrites(conn as unknown as MultiaddrConnection)
    const writev: number[] = []
    let single = 0
    const origWritev = client._writev!.bind(client)
    const origWrite = client._write.bind(client)
    client._writev = (chunks, cb) => { writev.push(chunks.length); origWritev(chunks, cb) }
    client._write = (chunk, enc, cb) => { single++; origWrite(chunk, enc, cb) }

    const parts = Array.from({ length: 10 }, (_, i) => new Uint8Array(randomBytes(i % 2 === 0 ? 2 : 60_000)))
    const result = (conn.sendData as SendData)(new Uint8ArrayList(...parts))
    expect(result).to.deep.equal({ sentBytes: parts.reduce((n, p) => n + p.length, 0), canSendMore: true })
    expect(writev).to.deep.equal([10])
    expect(single).to.equal(0)

    const expected = Buffer.concat(parts)
    client.end()
    await once(client, 'close')
    for (let i = 0; i < 50 && received().length < expected.length; i++) await new Promise(resolve => setTimeout(resolve, 10))
    expect(Buffer.compare(received(), expected)).to.equal(0)
  })

  it('leaves a connection that is not a TCP socket untouched', () => {
    const sendData = (): { sentBytes: number, canSendMore: boolean } => ({ sentBytes: 0, canSendMore: true })
    const conn = { socket: {}, sendData }
    gatherWrites(conn as unknown as MultiaddrConnection)
    expect(conn.sendData).to.equal(sendData)
  })

  it('carries large messages intact between two libp2p hosts, both ways', async () => {
    const make = async (): Promise<Libp2p> => {
      const h = await createLibp2p({
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        transports: [tcpTransport()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()]
      })
      hosts.push(h)
      return h
    }
    const a = await make()
    const b = await make()
    // b echoes every byte back
    await b.handle('/folio/test/echo/1.0.0', (stream) => {
      stream.addEventListener('message', (evt) => { stream.send(evt.data) })
      stream.addEventListener('remoteCloseWrite', () => { void stream.close() })
    })
    const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, '/folio/test/echo/1.0.0')
    const payload = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17))
    const got = new Uint8ArrayList()
    const done = new Promise<void>((resolve, reject) => {
      stream.addEventListener('message', (evt) => { got.append(evt.data.subarray()); if (got.byteLength >= payload.length) resolve() })
      stream.addEventListener('close', () => { if (got.byteLength < payload.length) reject(new Error(`closed after ${got.byteLength} bytes`)) })
    })
    for (let at = 0; at < payload.length; at += 300_000) {
      if (stream.writableNeedsDrain) await stream.onDrain()
      stream.send(payload.subarray(at, Math.min(at + 300_000, payload.length)))
    }
    await done
    expect(Buffer.compare(got.subarray(), payload)).to.equal(0)
    await stream.close()
  })
})
