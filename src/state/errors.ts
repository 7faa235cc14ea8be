/**
 * Errors of the state machine. A `StateError` thrown while a transaction's body runs is a
 * deterministic rejection: the transaction still pays its fee and uses its nonce, its body's writes
 * are reverted, and the result records the code and message. The admission codes (nonce, balance
 * for the fee) make a transaction unfit for a block at all.
 */
import { FolioError } from '../errors.js'

export type StateErrorCode =
  | 'BAD_NONCE'
  | 'INSUFFICIENT_FUNDS'
  | 'UNKNOWN_ACCOUNT'
  | 'INVALID_AMOUNT'
  | 'SELF_TRANSFER'
  | 'NOT_FOUND'
  | 'NOT_ALLOWED'
  | 'ALREADY_EXISTS'
  | 'LIMIT_EXCEEDED'
  | 'INVALID_TX'
  | 'INVALID_BLOCK'
  | 'INVALID_GENESIS'
  | 'CORRUPT_STATE'

export class StateError extends FolioError<StateErrorCode> {}

/** Codes that make a transaction invalid for inclusion (as opposed to a failed execution). */
export const ADMISSION_CODES: ReadonlySet<StateErrorCode> = new Set(['BAD_NONCE', 'INSUFFICIENT_FUNDS', 'INVALID_TX'])
