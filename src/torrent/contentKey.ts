/**
 * Content keys and slice encryption (MISSION.md §3). A card's 256-bit content key is derived from
 * the creator's master secret and a random 32-byte salt published in the card, so every card has
 * its own key and a creator holding the mnemonic can re-derive every key. Slice i is sealed with
 * ChaCha20-Poly1305 under that key with nonce `sliceNonce(i)`: one key encrypts one card, whose
 * slice indexes are distinct, so no (key, nonce) pair is ever used twice.
 */
import { CryptoError, aeadDecrypt, aeadEncrypt, hkdfSha256, randomBytes, sliceNonce } from '../crypto/index.js'
import { SwarmError } from './errors.js'

export const CONTENT_KEY_BYTES = 32
export const KEY_SALT_BYTES = 32
export const CONTENT_KEY_INFO = 'folio/content-key/v1'

/** A fresh random salt for a new card; it is public and goes into the card. */
export function newKeySalt (): Uint8Array {
  return randomBytes(KEY_SALT_BYTES)
}

export function deriveContentKey (masterSecret: Uint8Array, keySalt: Uint8Array): Uint8Array {
  if (!(masterSecret instanceof Uint8Array) || masterSecret.length < 32) {
    throw new SwarmError('BAD_KEY', 'the content master secret must be at least 32 bytes')
  }
  if (!(keySalt instanceof Uint8Array) || keySalt.length !== KEY_SALT_BYTES) {
    throw new SwarmError('BAD_KEY', `the key salt must be ${KEY_SALT_BYTES} bytes`)
  }
  return hkdfSha256(masterSecret, keySalt, CONTENT_KEY_INFO, CONTENT_KEY_BYTES)
}

function assertKey (key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== CONTENT_KEY_BYTES) {
    throw new SwarmError('BAD_KEY', `a content key must be ${CONTENT_KEY_BYTES} bytes`)
  }
}

/** Seals one plaintext slice: ciphertext followed by the 16-byte Poly1305 tag. */
export function encryptSlice (key: Uint8Array, index: number, plaintext: Uint8Array): Uint8Array {
  assertKey(key)
  return aeadEncrypt(key, sliceNonce(index), plaintext)
}

/**
 * Opens one sealed slice. A wrong key, a slice moved to another index or a flipped byte all fail
 * the tag check and surface as DECRYPT_FAILED; no unauthenticated byte is returned.
 */
export function decryptSlice (key: Uint8Array, index: number, sealed: Uint8Array): Uint8Array {
  assertKey(key)
  try {
    return aeadDecrypt(key, sliceNonce(index), sealed)
  } catch (err) {
    if (err instanceof CryptoError) {
      throw new SwarmError('DECRYPT_FAILED', `slice ${index} does not decrypt under this key`, { index, cause: err.code })
    }
    throw err
  }
}
