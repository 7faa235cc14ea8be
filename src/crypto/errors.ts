/**
 * Typed errors of the crypto layer. Callers (decoders, the state machine, the slice exchange)
 * switch on `code`; messages are written for the operator or developer who has to act on them.
 */
import { FolioError } from '../errors.js'

export type CryptoErrorCode =
  | 'INVALID_KEY'
  | 'INVALID_SIGNATURE_LENGTH'
  | 'DECRYPT_FAILED'
  | 'INVALID_ADDRESS'
  | 'INVALID_MNEMONIC'
  | 'INVALID_LENGTH'
  | 'WEAK_KEY'

export class CryptoError extends FolioError<CryptoErrorCode> {}

/** Throws INVALID_LENGTH unless `bytes` is a Uint8Array of exactly `length` bytes. */
export function assertLength (what: string, bytes: Uint8Array, length: number, code: CryptoErrorCode = 'INVALID_LENGTH'): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new CryptoError(code, `${what} must be a Uint8Array of ${length} bytes`, { expected: length })
  }
  if (bytes.length !== length) {
    throw new CryptoError(code, `${what} must be ${length} bytes, got ${bytes.length}`, { expected: length, actual: bytes.length })
  }
}
