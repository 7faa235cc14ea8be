/**
 * The base of every typed error in folio. Each area (codec, crypto, state, mempool, rpc, …)
 * declares a union of codes and throws `FolioError<ThatUnion>` subclasses, so callers switch on
 * `code` rather than parse messages, and messages stay free to be written for people.
 */
export class FolioError<C extends string = string> extends Error {
  /**
   * Set by subclasses whose errors are answers rather than faults — a refused transaction, an RPC
   * error sent back to a client. Under load a node gives thousands a second, and capturing a stack
   * trace costs several times the check that refused (about 10 µs against 1 µs); nobody reads it.
   */
  static readonly withoutStack: boolean = false

  readonly code: C
  readonly meta: Record<string, unknown>

  constructor (code: C, message: string, meta: Record<string, unknown> = {}) {
    const limit = Error.stackTraceLimit
    if ((new.target as typeof FolioError).withoutStack) Error.stackTraceLimit = 0
    try {
      super(message)
    } finally {
      Error.stackTraceLimit = limit
    }
    this.name = new.target.name
    this.code = code
    this.meta = meta
  }
}

export function isFolioError (err: unknown): err is FolioError {
  return err instanceof FolioError
}

/** A message for logs and RPC errors that never carries a stack trace. */
export function errorMessage (err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
