/**
 * The node's HTTP server (Koa): JSON-RPC at `POST /rpc`, `/health`, `/metrics`, and routes other
 * modules add (content, the web page, `/ws` upgrades on the same port).
 */
import http from 'node:http'
import Koa from 'koa'
import type { Logger } from 'pino'
import { type Registry } from 'prom-client'
import { type MethodTable, type CallContext, dispatch, parseJson, stringify } from './jsonrpc.js'
import { RPC_CODES } from './errors.js'
import { RateLimiter } from './rateLimit.js'
import { type RpcOptions, DEFAULT_RPC_OPTIONS } from './options.js'

export type Route = (ctx: Koa.Context) => Promise<boolean>

export interface RpcServerInit {
  methods: MethodTable
  log: Logger
  metrics?: Registry
  options?: Partial<RpcOptions>
}

class BodyTooLarge extends Error {}

async function readBody (req: http.IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw new BodyTooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new BodyTooLarge()
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export class RpcServer {
  readonly opts: RpcOptions
  readonly app = new Koa()
  readonly httpServer: http.Server
  private readonly routes: Route[] = []
  private readonly limiter: RateLimiter
  private readonly stopHooks: Array<() => Promise<void>> = []

  constructor (private readonly init: RpcServerInit) {
    this.opts = { ...DEFAULT_RPC_OPTIONS, ...init.options }
    this.limiter = new RateLimiter({ ratePerSec: this.opts.ratePerSec, burst: this.opts.burst, maxClients: 10_000 })
    this.app.use(async (ctx) => { await this.handle(ctx) })
    this.app.on('error', (err) => { this.init.log.debug({ err }, 'http error') })
    this.httpServer = http.createServer(this.app.callback())
    this.httpServer.keepAliveTimeout = 30_000
  }

  get methods (): MethodTable {
    return this.init.methods
  }

  /** Adds methods (modules call this before the server starts). */
  addMethods (methods: MethodTable): void {
    for (const [name, fn] of Object.entries(methods)) {
      if (Object.hasOwn(this.init.methods, name)) throw new Error(`RPC method ${name} is registered twice`)
      this.init.methods[name] = fn
    }
  }

  /** Adds a route tried before the built-in ones; it returns true when it handled the request. */
  addRoute (route: Route): void {
    this.routes.push(route)
  }

  async callRaw (body: unknown, ctx: CallContext): Promise<unknown> {
    return await dispatch(body, this.init.methods, ctx, {
      maxBatch: this.opts.maxBatch,
      onInternalError: (method, err) => this.init.log.error({ err, method }, 'rpc method failed')
    })
  }

  private async handle (ctx: Koa.Context): Promise<void> {
    for (const route of this.routes) if (await route(ctx)) return
    if (ctx.path === '/rpc') {
      await this.handleRpc(ctx)
      return
    }
    if (ctx.path === '/health' && ctx.method === 'GET') {
      ctx.body = { ok: true }
      return
    }
    if (ctx.path === '/metrics' && ctx.method === 'GET' && this.init.metrics != null) {
      ctx.type = this.init.metrics.contentType
      ctx.body = await this.init.metrics.metrics()
      return
    }
    ctx.status = 404
    ctx.body = { error: `no route for ${ctx.method} ${ctx.path}` }
  }

  private reply (ctx: Koa.Context, status: number, payload: unknown): void {
    ctx.status = status
    ctx.type = 'application/json'
    ctx.body = stringify(payload)
  }

  private async handleRpc (ctx: Koa.Context): Promise<void> {
    if (ctx.method !== 'POST') {
      ctx.set('Allow', 'POST')
      this.reply(ctx, 405, { jsonrpc: '2.0', id: null, error: { code: RPC_CODES.INVALID_REQUEST, message: 'invalid request: use POST with a JSON-RPC body' } })
      return
    }
    const client = ctx.request.ip ?? 'unknown'
    let text: string
    try {
      text = await readBody(ctx.req, this.opts.maxBodyBytes)
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        ctx.set('Connection', 'close')
        this.reply(ctx, 413, { jsonrpc: '2.0', id: null, error: { code: RPC_CODES.TOO_LARGE, message: `request body exceeds ${this.opts.maxBodyBytes} bytes` } })
        return
      }
      throw err
    }
    const parsed = parseJson(text)
    if (!parsed.ok) {
      this.reply(ctx, 200, parsed.response)
      return
    }
    const cost = Array.isArray(parsed.value) ? Math.max(1, parsed.value.length) : 1
    if (!this.limiter.take(client, cost)) {
      this.reply(ctx, 429, { jsonrpc: '2.0', id: null, error: { code: RPC_CODES.RATE_LIMITED, message: `rate limited: more than ${this.opts.ratePerSec} calls per second from ${client}` } })
      return
    }
    const res = await this.callRaw(parsed.value, { client })
    if (res === null) {
      ctx.status = 204
      return
    }
    this.reply(ctx, 200, res)
  }

  async start (): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', reject)
      this.httpServer.listen(this.opts.port, this.opts.host, () => {
        this.httpServer.off('error', reject)
        resolve()
      })
    })
    return this.url()
  }

  url (): string {
    const addr = this.httpServer.address()
    const port = typeof addr === 'object' && addr != null ? addr.port : this.opts.port
    return `http://${this.opts.host}:${port}`
  }

  /**
   * Runs `fn` first when the server stops. Connections taken over from HTTP (WebSocket upgrades)
   * are no longer HTTP connections: `close` would wait for them forever, so whoever took them over
   * closes them here.
   */
  onStop (fn: () => Promise<void>): void {
    this.stopHooks.push(fn)
  }

  async stop (): Promise<void> {
    await Promise.all(this.stopHooks.map(async fn => await fn()))
    const closed = new Promise<void>((resolve) => this.httpServer.close(() => resolve()))
    this.httpServer.closeAllConnections()
    await closed
  }
}
