/**
 * JSON-RPC 2.0 errors. Codes -32700..-32600 are the standard ones; -32000..-32099 are folio's.
 * Messages are for people: they say what was wrong and what would be right.
 */
import { FolioError } from '../errors.js'

export const RPC_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  TX_REJECTED: -32001,
  NOT_FOUND: -32004,
  RATE_LIMITED: -32005,
  TOO_LARGE: -32006,
  UNAVAILABLE: -32007
} as const

export type RpcErrorCode = keyof typeof RPC_CODES

/**
 * An error answered to a client. It carries no stack trace (FolioError.withoutStack): an
 * overloaded node answers thousands of TX_REJECTED a second, and the client sees code and
 * message only. An unexpected fault behind an INTERNAL answer is logged with its own stack.
 */
export class RpcError extends FolioError<RpcErrorCode> {
  static override readonly withoutStack = true

  get rpcCode (): number {
    return RPC_CODES[this.code]
  }
}

export function invalidParams (message: string, meta: Record<string, unknown> = {}): RpcError {
  return new RpcError('INVALID_PARAMS', `invalid params: ${message}`, meta)
}

export function notFound (message: string): RpcError {
  return new RpcError('NOT_FOUND', message)
}
