/**
 * HKDF-SHA256 (RFC 5869) on node:crypto: turns X25519 shared secrets into wrapping keys and a
 * creator's mnemonic seed into account keys and the content master secret. Every use passes a
 * distinct `info` label, so keys derived for one purpose are never valid for another.
 */
import { hkdfSync } from 'node:crypto'
import { CryptoError } from './errors.js'

const HASH_LENGTH = 32
/** RFC 5869: at most 255 blocks of output. */
export const HKDF_MAX_LENGTH = 255 * HASH_LENGTH
/** node:crypto (OpenSSL) refuses longer info; folio's labels are a few dozen bytes. */
export const HKDF_MAX_INFO_LENGTH = 1024

const encoder = new TextEncoder()

export function hkdfSha256 (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > HKDF_MAX_LENGTH) {
    throw new CryptoError('INVALID_LENGTH', `HKDF-SHA256 output length must be an integer from 1 to ${HKDF_MAX_LENGTH}, got ${length}`, { length })
  }
  const infoBytes = typeof info === 'string' ? encoder.encode(info) : info
  if (infoBytes.length > HKDF_MAX_INFO_LENGTH) {
    throw new CryptoError('INVALID_LENGTH', `HKDF-SHA256 info must be at most ${HKDF_MAX_INFO_LENGTH} bytes, got ${infoBytes.length}`, { length: infoBytes.length })
  }
  return new Uint8Array(hkdfSync('sha256', ikm, salt, infoBytes, length))
}
