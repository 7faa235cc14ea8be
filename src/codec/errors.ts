/**
 * Errors of the codec layer. Every decoder in folio reports malformed input through this one
 * class, so that a caller handling bytes from the network or disk can catch a single type and
 * switch on `code`; anything else escaping a decoder is a bug.
 */
import { FolioError } from '../errors.js'

export type CodecErrorCode =
  | 'TRAILING_BYTES'
  | 'NON_CANONICAL'
  | 'WRONG_LENGTH'
  | 'UNKNOWN_TYPE'
  | 'MALFORMED'
  | 'OUT_OF_RANGE'
  | 'TOO_LARGE'
  | 'INVALID_UTF8'

export class CodecError extends FolioError<CodecErrorCode> {}

export function isCodecError (err: unknown): err is CodecError {
  return err instanceof CodecError
}
