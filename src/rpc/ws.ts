/**
 * JSON-RPC over WebSocket at `/ws`, on the node's HTTP server. Each text message is a JSON-RPC
 * request or batch, dispatched like `POST /rpc` but with `push` and `onClose` in the call
 * context, so `subscribe` can stream. Limits are per client address: connections, calls per
 * second (token bucket) and message size; a client that does not read its pushes fast enough is
 * disconnected rather than buffered without bound.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, WebSocket, type RawData } from 'ws'
import type { RpcServer } from './server.js'
import { parseJson, stringify } from './jsonrpc.js'
import { RPC_CODES } from './errors.js'
import { RateLimiter } from './rateLimit.js'

export interface WsOptions {
  path: string
  /** Largest accepted message. */
  maxMessageBytes: number
  maxConnections: number
  maxConnectionsPerClient: number
  /** Calls per second per client address, and the burst allowed. */
  ratePerSec: number
  burst: number
  /** Unsent bytes a connection may queue before it is dropped as too slow. */
  maxBufferedBytes: number
}

export const DEFAULT_WS_OPTIONS: WsOptions = {
  path: '/ws',
  maxMessageBytes: 256 * 1024,
  maxConnections: 1_000,
  maxConnectionsPerClient: 32,
  ratePerSec: 200,
  burst: 400,
  maxBufferedBytes: 4 * 1024 * 1024
}

interface WsLog { debug: (o: unknown, m?: string) => void, warn: (o: unknown, m?: string) => void }

/** The endpoint closes with the RPC server (`RpcServer.onStop`), before the HTTP server itself. */
export interface AttachedWs {
  connections: () => number
}

/** How long clients get to answer the close frame when the node stops. */
const CLOSE_GRACE_MS = 1_000

function refuse (socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

export function attachWebSocket (rpc: RpcServer, log: WsLog, options: Partial<WsOptions> = {}): AttachedWs {
  const opts = { ...DEFAULT_WS_OPTIONS, ...options }
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes })
  const limiter = new RateLimiter({ ratePerSec: opts.ratePerSec, burst: opts.burst, maxClients: 10_000 })
  const perClient = new Map<string, number>()

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== opts.path) return
    const client = req.socket.remoteAddress ?? 'unknown'
    if (wss.clients.size >= opts.maxConnections) { refuse(socket, '503 Service Unavailable'); return }
    if ((perClient.get(client) ?? 0) >= opts.maxConnectionsPerClient) { refuse(socket, '429 Too Many Requests'); return }
    wss.handleUpgrade(req, socket, head, (ws) => { serve(ws, client) })
  }

  function serve (ws: WebSocket, client: string): void {
    perClient.set(client, (perClient.get(client) ?? 0) + 1)
    const closers: Array<() => void> = []
    const send = (payload: unknown): void => {
      if (ws.readyState !== WebSocket.OPEN) return
      if (ws.bufferedAmount > opts.maxBufferedBytes) {
        ws.close(1013, 'too slow: pushes are not being read')
        return
      }
      ws.send(stringify(payload))
    }
    const ctx = { client, push: send, onClose: (fn: () => void) => { closers.push(fn) } }
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void (async () => {
        if (isBinary) {
          send({ jsonrpc: '2.0', id: null, error: { code: RPC_CODES.INVALID_REQUEST, message: 'invalid request: send JSON-RPC as text messages' } })
          return
        }
        const parsed = parseJson(data.toString())
        if (!parsed.ok) { send(parsed.response); return }
        const cost = Array.isArray(parsed.value) ? Math.max(1, parsed.value.length) : 1
        if (!limiter.take(client, cost)) {
          send({ jsonrpc: '2.0', id: null, error: { code: RPC_CODES.RATE_LIMITED, message: `rate limited: more than ${opts.ratePerSec} calls per second from ${client}` } })
          return
        }
        const res = await rpc.callRaw(parsed.value, ctx)
        if (res !== null) send(res)
      })().catch(err => log.warn({ err }, 'websocket message failed'))
    })
    ws.on('error', (err) => { log.debug({ err, client }, 'websocket error') })
    ws.on('close', () => {
      const n = (perClient.get(client) ?? 1) - 1
      if (n <= 0) perClient.delete(client)
      else perClient.set(client, n)
      for (const fn of closers) {
        try { fn() } catch (err) { log.warn({ err }, 'websocket close handler failed') }
      }
    })
  }

  rpc.httpServer.on('upgrade', onUpgrade)
  rpc.onStop(async () => {
    rpc.httpServer.off('upgrade', onUpgrade)
    // tell each client why (1001 "going away"), give them a moment to answer, then cut the rest
    const gone = [...wss.clients].map(async ws => await new Promise<void>(resolve => {
      if (ws.readyState === WebSocket.CLOSED) { resolve(); return }
      ws.once('close', () => { resolve() })
      ws.close(1001, 'the node is shutting down')
    }))
    const grace = new Promise<void>(resolve => setTimeout(resolve, CLOSE_GRACE_MS).unref())
    await Promise.race([Promise.all(gone), grace])
    for (const ws of wss.clients) ws.terminate()
    await new Promise<void>(resolve => wss.close(() => resolve()))
  })
  return {
    connections: () => wss.clients.size
  }
}
