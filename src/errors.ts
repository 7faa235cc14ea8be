/**
 * The base of every typed error in folio. Each area (codec, crypto, state, mempool, rpc, …)
 * declares a union of codes and throws `FolioError<ThatUnion>` subclasses, so callers switch on
 * `code` rather than parse messages, and messages stay free to be written for people.
 */
export class FolioError<C extends string = string> extends Error {
  readonly code: C
  readonly meta: Record<string, unknown>

  constructor (code: C, message: string, meta: Record<string, unknown> = {}) {
    super(message)
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
