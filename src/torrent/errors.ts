/**
 * Typed errors of the slice swarm. Each code says what went wrong for a caller that has to act:
 * the exchange service maps the wire codes to "drop this peer" (see `isPeerFault`), the HTTP content
 * endpoint maps RANGE_NOT_SATISFIABLE to 416, the store maps OVER_BUDGET to "do not fetch".
 */
import { FolioError } from '../errors.js'

export type SwarmErrorCode =
  // layout and ranges
  | 'BAD_LAYOUT'
  | 'RANGE_NOT_SATISFIABLE'
  // content authentication and keys
  | 'LEAVES_MISMATCH'
  | 'SLICE_MISMATCH'
  | 'DECRYPT_FAILED'
  | 'BAD_KEY'
  // wire protocol
  | 'MESSAGE_TOO_LARGE'
  | 'MALFORMED_MESSAGE'
  | 'UNKNOWN_MESSAGE'
  | 'UNSUPPORTED_VERSION'
  | 'INDEX_OUT_OF_RANGE'
  // slice store
  | 'UNKNOWN_CARD'
  | 'OVER_BUDGET'
  | 'STORE_IO'

export class SwarmError extends FolioError<SwarmErrorCode> {}

const PEER_FAULTS: ReadonlySet<SwarmErrorCode> = new Set<SwarmErrorCode>([
  'SLICE_MISMATCH',
  'LEAVES_MISMATCH',
  'MESSAGE_TOO_LARGE',
  'MALFORMED_MESSAGE',
  'UNKNOWN_MESSAGE',
  'INDEX_OUT_OF_RANGE'
])

/**
 * True when the error proves the remote peer misbehaved (forged bytes, malformed frames): the
 * exchange disconnects it and scores it down. Other errors (our budget, an unknown card, a
 * newer protocol version) are not the peer's fault and only end the exchange politely.
 */
export function isPeerFault (err: unknown): boolean {
  return err instanceof SwarmError && PEER_FAULTS.has(err.code)
}
