/**
 * Errors of the state commitment. Decoding a proof from JSON throws `MALFORMED_PROOF`; reading a
 * bucket record that does not hash to the committed leaf (or cannot be parsed) throws
 * `CORRUPT_STORE`, which means the caller did not write the ops of an earlier `update` and must
 * reopen from the store.
 */
import { FolioError } from '../../errors.js'

export type StateCommitmentErrorCode =
  | 'MALFORMED_PROOF'
  | 'CORRUPT_STORE'
  | 'INVALID_PREFIX'

export class StateCommitmentError extends FolioError<StateCommitmentErrorCode> {}
