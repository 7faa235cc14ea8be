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

/**
 * Why a transaction was refused admission to the pool. A refusal is an answer, not a fault: under
 * load a node gives thousands a second (FULL, NONCE_GAP), so it carries no stack trace.
 */
export class MempoolError extends FolioError<MempoolErrorCode> {
  static override readonly withoutStack = true
}
