/**
 * Typed errors of the consensus layer. Block sync and light clients switch on `code` when a
 * commit or evidence fails to verify; the engine uses SIGN_REFUSED to skip a vote the sign guard
 * refused rather than crash.
 */
import { FolioError } from '../errors.js'

export type ConsensusErrorCode =
  | 'INVALID_VALIDATOR_SET'
  | 'INVALID_COMMIT'
  | 'INSUFFICIENT_POWER'
  | 'UNKNOWN_VALIDATOR'
  | 'DUPLICATE_SIGNATURE'
  | 'INVALID_SIGNATURE'
  | 'INVALID_EVIDENCE'
  | 'SIGN_REFUSED'
  | 'WAL_CORRUPT'
  | 'INVALID_OPTIONS'

export class ConsensusError extends FolioError<ConsensusErrorCode> {}
