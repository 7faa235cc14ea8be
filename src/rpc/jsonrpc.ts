/**
 * JSON-RPC 2.0 dispatch, independent of the transport: takes a parsed request (single or batch),
 * runs each call against the method table and returns the response object(s). Used by HTTP
 * `POST /rpc` and by WebSocket `/ws`.
 */
import { isFolioError, errorMessage } from '../errors.js'
import { RpcError, RPC_CODES } from './errors.js'

export interface CallContext {
  /** Remote address, for rate limits and logs. */
  client: string
  /** Set on WebSocket connections, so `subscribe` can push. */
  push?: (message: unknown) => void
  onClose?: (fn: () => void) => void
}

export type Method = (params: unknown, ctx: CallContext) => Promise<unknown> | unknown
export type MethodTable = Record<string, Method>

export interface JsonRpcResponse {
  jsonrpc: '2.0'
  id: string | number | null
  result?: unknown
  error?: { code: number, message: string, data?: unknown }
}

export interface DispatchOptions {
  maxBatch: number
  onInternalError?: (method: string, err: unknown) => void
}

function errorResponse (id: JsonRpcResponse['id'], code: number, message: string, data?: unknown): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } }
}

/** Maps any thrown value to a JSON-RPC error; never leaks a stack trace. */
export function toErrorResponse (id: JsonRpcResponse['id'], err: unknown, method: string, opts: DispatchOptions): JsonRpcResponse {
  if (err instanceof RpcError) return errorResponse(id, err.rpcCode, err.message, Object.keys(err.meta).length > 0 ? jsonSafe(err.meta) : undefined)
  if (isFolioError(err)) {
    // typed errors from lower layers are the caller's fault (bad tx, unknown key …)
    return errorResponse(id, RPC_CODES.INVALID_PARAMS, `invalid params: ${err.message}`, { reason: err.code })
  }
  opts.onInternalError?.(method, err)
  return errorResponse(id, RPC_CODES.INTERNAL, `internal error while running ${method}: ${errorMessage(err)}`)
}

function jsonSafe (v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x))
}

function validId (id: unknown): id is string | number | null {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))
}

async function dispatchOne (req: unknown, methods: MethodTable, ctx: CallContext, opts: DispatchOptions): Promise<JsonRpcResponse | null> {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) {
    return errorResponse(null, RPC_CODES.INVALID_REQUEST, 'invalid request: each request must be a JSON object')
  }
  const r = req as Record<string, unknown>
  const isNotification = !('id' in r)
  const id = validId(r.id) ? r.id : null
  if (r.jsonrpc !== '2.0') return errorResponse(id, RPC_CODES.INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"')
  if (!isNotification && !validId(r.id)) return errorResponse(null, RPC_CODES.INVALID_REQUEST, 'invalid request: "id" must be a string, a number or null')
  if (typeof r.method !== 'string') return errorResponse(id, RPC_CODES.INVALID_REQUEST, 'invalid request: "method" must be a string')
  const method = Object.hasOwn(methods, r.method) ? methods[r.method] : undefined
  if (method === undefined) {
    return errorResponse(id, RPC_CODES.METHOD_NOT_FOUND, `method not found: ${r.method.slice(0, 64)}`)
  }
  try {
    const result = await method(r.params, ctx)
    return isNotification ? null : { jsonrpc: '2.0', id, result: result ?? null }
  } catch (err) {
    return isNotification ? null : toErrorResponse(id, err, r.method, opts)
  }
}

export async function dispatch (body: unknown, methods: MethodTable, ctx: CallContext, opts: DispatchOptions): Promise<JsonRpcResponse | JsonRpcResponse[] | null> {
  if (Array.isArray(body)) {
    if (body.length === 0) return errorResponse(null, RPC_CODES.INVALID_REQUEST, 'invalid request: empty batch')
    if (body.length > opts.maxBatch) {
      return errorResponse(null, RPC_CODES.INVALID_REQUEST, `invalid request: batch of ${body.length} exceeds the limit of ${opts.maxBatch}`)
    }
    const out: JsonRpcResponse[] = []
    for (const req of body) {
      const res = await dispatchOne(req, methods, ctx, opts)
      if (res !== null) out.push(res)
    }
    return out.length > 0 ? out : null
  }
  return await dispatchOne(body, methods, ctx, opts)
}

export function parseJson (text: string): { ok: true, value: unknown } | { ok: false, response: JsonRpcResponse } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    return { ok: false, response: errorResponse(null, RPC_CODES.PARSE_ERROR, `parse error: ${errorMessage(err)}`) }
  }
}

export function stringify (value: unknown): string {
  return JSON.stringify(value, (_k, v) => typeof v === 'bigint' ? v.toString() : v)
}
