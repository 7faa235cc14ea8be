/**
 * libp2p's TCP transport, with each connection's writes gathered into one socket write.
 *
 * Why: under libp2p 3, `@chainsafe/libp2p-noise` hands the TCP connection a list of buffers — a
 * 2-byte length and a ciphertext for every Noise message (at most 64 KiB each) — and `@libp2p/tcp`
 * calls `socket.write` once per buffer. A 256 KiB slice then costs ten socket writes (five of them 2-byte
 * TCP segments), and a one-message request two; and since every write above the socket's 16 KiB
 * high-water mark returns false, the connection stops after each 64 KiB message and waits for a
 * `drain` before the next. Here each connection's socket is corked while one list is written, so
 * Node hands the kernel the whole list in one `writev`, and the socket's high-water mark is raised
 * (`writeHighWaterMark`) so that one slice's messages go out without a drain in between. The bytes
 * on the wire are the same; only the number of system calls and TCP segments changes
 * (docs/decisions/0009-swarm-throughput.md has the measurements).
 */
import { Socket } from 'node:net'
import { tcp, type TCPComponents, type TCPOptions, type TCPSocketOptions } from '@libp2p/tcp'
import type { MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface TcpTransportInit extends TCPOptions {
  /**
   * Bytes a socket buffers in this process (beyond what the kernel took) before it asks libp2p to
   * wait for `drain`. Node's default is 16 KiB, less than one Noise message.
   */
  writeHighWaterMark?: number
}

/** Enough for a 4 MiB slice's Noise messages to go out in one write. */
export const TCP_WRITE_HIGH_WATER_MARK = 4 * 1024 * 1024 + 64 * 1024

interface SendDataResult { sentBytes: number, canSendMore: boolean }
type SendData = (data: Uint8ArrayList) => SendDataResult

/**
 * Wraps the connection's `sendData` (the method `@libp2p/tcp`'s connection writes a buffer list
 * with) in `cork()`/`uncork()`. A connection that is not a TCP socket connection is left alone.
 */
export function gatherWrites (maConn: MultiaddrConnection): MultiaddrConnection {
  const conn = maConn as MultiaddrConnection & { socket?: unknown, sendData?: SendData }
  const socket = conn.socket
  const sendData = conn.sendData
  if (!(socket instanceof Socket) || typeof sendData !== 'function') return maConn
  conn.sendData = (data) => {
    socket.cork()
    try {
      return sendData.call(conn, data)
    } finally {
      socket.uncork()
    }
  }
  return maConn
}

function gatheringUpgrader (upgrader: Upgrader): Upgrader {
  return new Proxy(upgrader, {
    get (target, prop) {
      if (prop === 'upgradeOutbound') {
        return async (maConn: MultiaddrConnection, opts: Parameters<Upgrader['upgradeOutbound']>[1]) => await target.upgradeOutbound(gatherWrites(maConn), opts)
      }
      if (prop === 'upgradeInbound') {
        return async (maConn: MultiaddrConnection, opts: Parameters<Upgrader['upgradeInbound']>[1]) => { await target.upgradeInbound(gatherWrites(maConn), opts) }
      }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}

export function tcpTransport (init: TcpTransportInit = {}): (components: TCPComponents) => Transport {
  const { writeHighWaterMark = TCP_WRITE_HIGH_WATER_MARK, ...options } = init
  // Passed through to net.connect / net.createServer (Node ≥ 20.1), which the type does not list.
  const socketOptions: TCPSocketOptions & { highWaterMark: number } = { highWaterMark: writeHighWaterMark }
  const factory = tcp({
    ...options,
    dialOpts: { ...options.dialOpts, ...socketOptions },
    listenOpts: { ...options.listenOpts, ...socketOptions }
  })
  return (components) => {
    const transport = factory(components)
    const dial = transport.dial.bind(transport)
    const createListener = transport.createListener.bind(transport)
    transport.dial = async (ma, opts) => await dial(ma, { ...opts, upgrader: gatheringUpgrader(opts.upgrader) })
    transport.createListener = (opts) => createListener({ ...opts, upgrader: gatheringUpgrader(opts.upgrader) })
    return transport
  }
}
