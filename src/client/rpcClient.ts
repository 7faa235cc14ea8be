/**
 * A typed JSON-RPC client over HTTP (fetch), used by the CLI, tests and benchmarks.
 */
import { FolioError } from '../errors.js'

export class RpcClientError extends FolioError<'RPC' | 'NETWORK' | 'HTTP' | 'TIMEOUT'> {
  /** The JSON-RPC error code when the server answered with one. */
  rpcCode?: number
  data?: unknown
}

export interface RpcClientOptions {
  timeoutMs?: number
}

let nextId = 1

export class RpcClient {
  constructor (readonly url: string, private readonly opts: RpcClientOptions = {}) {}

  async call<T = any> (method: string, params: Record<string, unknown> = {}): Promise<T> {
    let res: Response
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000)
      })
    } catch (err) {
      const e = err as Error
      if (e.name === 'TimeoutError') throw new RpcClientError('TIMEOUT', `${method}: no answer from ${this.url} within ${this.opts.timeoutMs ?? 30_000} ms`)
      throw new RpcClientError('NETWORK', `cannot reach the node at ${this.url} (${(e as any).cause?.code ?? e.message}); is it running? (start one with "npm start")`)
    }
    const text = await res.text()
    let body: any
    try {
      body = JSON.parse(text)
    } catch {
      throw new RpcClientError('HTTP', `${method}: the node answered HTTP ${res.status} with a body that is not JSON`)
    }
    if (body?.error != null) {
      const err = new RpcClientError('RPC', body.error.message ?? `error ${body.error.code}`)
      err.rpcCode = body.error.code
      err.data = body.error.data
      throw err
    }
    return body.result as T
  }
}
