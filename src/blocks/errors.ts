/**
 * Errors of the stateless validation rules for transactions and blocks. Byte-level problems stay
 * CodecError (from the decoders); these codes say which protocol rule a well-formed transaction or
 * block breaks, so the mempool and consensus can decide what to do with the sender or peer.
 */
import { FolioError } from '../errors.js'

export type BlockErrorCode =
  | 'WRONG_CHAIN'
  | 'UNKNOWN_TX_TYPE'
  | 'INVALID_TX_TYPE'
  | 'INVALID_TX'
  | 'INVALID_BODY'
  | 'BAD_SIGNATURE'
  | 'FEE_TOO_LOW'
  | 'TOO_LARGE'
  | 'TOO_MANY_TXS'
  | 'INVALID_HEADER'
  | 'INVALID_BLOCK'
  | 'TX_ROOT_MISMATCH'
  | 'LAST_COMMIT_MISMATCH'
  | 'DUPLICATE_TX'

export class BlockError extends FolioError<BlockErrorCode> {}
