/**
 * ChaCha20-Poly1305 (RFC 8439) on node:crypto: encrypts every content slice under the card's
 * content key and every wrapped key. Sealed form is ciphertext || 16-byte tag. A failed tag check
 * is always DECRYPT_FAILED, whatever OpenSSL says, so callers (the slice exchange, key unwrapping)
 * have one case to handle for "wrong key or corrupted bytes".
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'
import { CryptoError, assertLength } from './errors.js'

export const AEAD_KEY_LENGTH = 32
export const AEAD_NONCE_LENGTH = 12
export const AEAD_TAG_LENGTH = 16

function checkParameters (key: Uint8Array, nonce: Uint8Array): void {
  assertLength('ChaCha20-Poly1305 key', key, AEAD_KEY_LENGTH, 'INVALID_KEY')
  assertLength('ChaCha20-Poly1305 nonce', nonce, AEAD_NONCE_LENGTH)
}

export function aeadEncrypt (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkParameters(key, nonce)
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH })
  if (aad !== undefined) cipher.setAAD(aad, { plaintextLength: plaintext.length })
  // One allocation for the sealed output: slices are 256 KiB and this is the seeding hot path.
  const sealed = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH)
  const body = cipher.update(plaintext)
  sealed.set(body, 0)
  const tail = cipher.final()
  sealed.set(tail, body.length)
  sealed.set(cipher.getAuthTag(), body.length + tail.length)
  return sealed
}

export function aeadDecrypt (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkParameters(key, nonce)
  if (sealed.length < AEAD_TAG_LENGTH) {
    throw new CryptoError('DECRYPT_FAILED', `sealed data is ${sealed.length} bytes, shorter than the ${AEAD_TAG_LENGTH}-byte tag`)
  }
  const bodyLength = sealed.length - AEAD_TAG_LENGTH
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH })
  decipher.setAuthTag(sealed.subarray(bodyLength))
  if (aad !== undefined) decipher.setAAD(aad, { plaintextLength: bodyLength })
  const plaintext = new Uint8Array(bodyLength)
  try {
    const body = decipher.update(sealed.subarray(0, bodyLength))
    plaintext.set(body, 0)
    plaintext.set(decipher.final(), body.length)
  } catch {
    // The plaintext buffer is dropped unreturned: unauthenticated bytes never reach the caller.
    throw new CryptoError('DECRYPT_FAILED', 'ChaCha20-Poly1305 authentication failed: wrong key, nonce or associated data, or corrupted bytes')
  }
  return plaintext
}

/**
 * The nonce for slice `index` of a card's content: 4 zero bytes, then the index as a big-endian
 * uint64. Each content key encrypts one card, whose slice indices are distinct, so a nonce is never
 * reused under one key (MISSION.md §3).
 */
export function sliceNonce (index: number): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new CryptoError('INVALID_LENGTH', `slice index must be a non-negative safe integer, got ${index}`, { index })
  }
  const nonce = new Uint8Array(AEAD_NONCE_LENGTH)
  const view = new DataView(nonce.buffer)
  view.setUint32(4, Math.floor(index / 2 ** 32))
  view.setUint32(8, index >>> 0)
  return nonce
}
