import { FolioError } from '../errors.js'

export type MempoolErrorCode =
  | 'INVALID'
  | 'DUPLICATE'
  | 'ALREADY_COMMITTED'
  | 'NONCE_TOO_LOW'
  | 'NONCE_GAP'
  | 'FEE_TOO_LOW'
  | 'INSUFFICIENT_FUNDS'
  | 'SENDER_LIMIT'
  | 'FULL'
  | 'REJECTED'

/** Why a transaction was refused admission to the pool. */
export class MempoolError extends FolioError<MempoolErrorCode> {}
