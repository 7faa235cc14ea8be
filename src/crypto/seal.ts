/**
 * Key wrapping to an X25519 public key (ECIES-style, MISSION.md §3): how a content key reaches a
 * key-NFT holder and how escrow shares reach validators. A fresh ephemeral key per message makes
 * the derived AEAD key single-use, which is why a zero nonce is safe here. Both public keys go
 * into the HKDF salt, binding the ciphertext to the intended recipient, and `info` binds it to
 * its purpose (e.g. 'folio/escrow-share/v1').
 *
 * Layout: ephemeral public key (32) || ciphertext || tag (16).
 */
import { CryptoError, assertLength } from './errors.js'
import { hkdfSha256 } from './hkdf.js'
import { aeadEncrypt, aeadDecrypt, AEAD_KEY_LENGTH, AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH } from './aead.js'
import { x25519EphemeralAgreement, x25519PublicKey, x25519SharedSecret, X25519_KEY_LENGTH } from './x25519.js'

const ZERO_NONCE = new Uint8Array(AEAD_NONCE_LENGTH)
export const SEAL_OVERHEAD = X25519_KEY_LENGTH + AEAD_TAG_LENGTH

function wrappingKey (shared: Uint8Array, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array, info: string): Uint8Array {
  const salt = new Uint8Array(2 * X25519_KEY_LENGTH)
  salt.set(ephemeralPublic, 0)
  salt.set(recipientPublic, X25519_KEY_LENGTH)
  return hkdfSha256(shared, salt, info, AEAD_KEY_LENGTH)
}

/** Throws INVALID_KEY for a malformed recipient key and WEAK_KEY for a low-order one. */
export function sealTo (recipientX25519Public: Uint8Array, plaintext: Uint8Array, info: string): Uint8Array {
  assertLength('recipient X25519 public key', recipientX25519Public, X25519_KEY_LENGTH, 'INVALID_KEY')
  const { ephemeralPublic, shared } = x25519EphemeralAgreement(recipientX25519Public)
  const key = wrappingKey(shared, ephemeralPublic, recipientX25519Public, info)
  const body = aeadEncrypt(key, ZERO_NONCE, plaintext)
  const sealed = new Uint8Array(X25519_KEY_LENGTH + body.length)
  sealed.set(ephemeralPublic, 0)
  sealed.set(body, X25519_KEY_LENGTH)
  return sealed
}

/**
 * Throws DECRYPT_FAILED for anything that does not open: too short, a low-order ephemeral key, a
 * different recipient or info, or corrupted bytes. Only a malformed own secret is INVALID_KEY.
 */
export function openSealed (recipientX25519Secret: Uint8Array, sealed: Uint8Array, info: string): Uint8Array {
  const recipientPublic = x25519PublicKey(recipientX25519Secret)
  if (sealed.length < SEAL_OVERHEAD) {
    throw new CryptoError('DECRYPT_FAILED', `sealed message is ${sealed.length} bytes, shorter than the ${SEAL_OVERHEAD}-byte overhead`)
  }
  const ephemeralPublic = sealed.subarray(0, X25519_KEY_LENGTH)
  let shared: Uint8Array
  try {
    shared = x25519SharedSecret(recipientX25519Secret, ephemeralPublic)
  } catch (err) {
    throw new CryptoError('DECRYPT_FAILED', 'sealed message carries an unusable ephemeral key', { cause: (err as CryptoError).code })
  }
  const key = wrappingKey(shared, ephemeralPublic, recipientPublic, info)
  return aeadDecrypt(key, ZERO_NONCE, sealed.subarray(X25519_KEY_LENGTH))
}
