/** Errors of key escrow: building an escrow, answering and asking for shares. */
import { FolioError } from '../../errors.js'

export type EscrowErrorCode =
  | 'NO_COMMITTEE'
  | 'BAD_SHARE'
  | 'BAD_REQUEST'
  | 'NO_ESCROW'
  | 'NOT_ENOUGH_SHARES'
  | 'COMMITMENT_MISMATCH'

export class EscrowError extends FolioError<EscrowErrorCode> {}
