/**
 * Typed errors of the network layer. Gossip validation errors carry an action — accept, ignore or
 * reject — that maps one to one onto gossipsub's validation result: `ignore` drops a message
 * without blaming the sender (stale, duplicate, not yet checkable), `reject` drops it and counts
 * an invalid delivery against the peer's score (undecodable, forged, from a non-validator).
 */
import { FolioError } from '../errors.js'

export type NetworkErrorCode =
  | 'INVALID_CONFIG'
  | 'INVALID_KEY_FILE'
  | 'MALFORMED_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'WRONG_CHAIN'
  | 'PROTOCOL'
  | 'TIMEOUT'
  | 'INVALID_BLOCK'

export class NetworkError extends FolioError<NetworkErrorCode> {}

export type GossipAction = 'ignore' | 'reject'

export type GossipErrorCode =
  | 'MALFORMED'
  | 'TOO_LARGE'
  | 'STALE'
  | 'FUTURE'
  | 'DUPLICATE'
  | 'UNKNOWN_VALIDATOR'
  | 'BAD_SIGNATURE'
  | 'WRONG_CHAIN'
  | 'HASH_MISMATCH'
  | 'INVALID_EVIDENCE'
  | 'INVALID_TX'
  | 'TX_NOT_ADMITTED'

export class GossipValidationError extends FolioError<GossipErrorCode> {
  readonly action: GossipAction

  constructor (action: GossipAction, code: GossipErrorCode, message: string, meta: Record<string, unknown> = {}) {
    super(code, message, meta)
    this.action = action
  }
}
