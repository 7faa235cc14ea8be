/**
 * X25519 key agreement (RFC 7748) on node:crypto, for key wrapping (sealTo / openSealed) and the
 * escrow shares sent to validators. Also the Ed25519 → X25519 conversion that lets one wallet serve
 * both signing and receiving wrapped keys (MISSION.md §3); that conversion runs on @noble, since
 * node:crypto has no API for it and it is not on a hot path.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { CryptoError, assertLength } from './errors.js'
import { toUint8, toBase64url, fromBase64url } from './bytes.js'
import { KeyObjectCache } from './keyCache.js'
import type { KeyPair } from './ed25519.js'

export const X25519_KEY_LENGTH = 32

// DER header for the X25519 OID 1.3.101.110 (RFC 8410); the raw secret follows. Public keys are
// imported as JWK instead, ~10x faster than DER (see ed25519.ts).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')

// Smaller than the Ed25519 caches: a node holds few X25519 secrets (its own escrow key) and the
// public side is mostly ephemeral keys that are never seen twice.
const CACHE_CAPACITY = 1_000
const secretKeyCache = new KeyObjectCache(CACHE_CAPACITY)

function importSecret (secretKey: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' })
}

function importPublic (publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: toBase64url(publicKey) }, format: 'jwk' })
}

function secretKeyObject (secretKey: Uint8Array): KeyObject {
  assertLength('X25519 secret key', secretKey, X25519_KEY_LENGTH, 'INVALID_KEY')
  return secretKeyCache.getOrCreate(secretKey, importSecret)
}

export function x25519PublicKey (secretKey: Uint8Array): Uint8Array {
  return fromBase64url(createPublicKey(secretKeyObject(secretKey)).export({ format: 'jwk' }).x)
}

/** A fresh key pair, generated natively (no import, and it does not enter the secret-key cache). */
export function x25519Generate (): KeyPair {
  const { privateKey } = generateKeyPairSync('x25519')
  const jwk = privateKey.export({ format: 'jwk' })
  return { secretKey: fromBase64url(jwk.d), publicKey: fromBase64url(jwk.x) }
}

/**
 * The raw X25519 shared secret. Throws WEAK_KEY when the peer's key is of low order (the result
 * would be all zeros, contributing nothing secret), as RFC 7748 §6.1 recommends checking.
 */
export function x25519SharedSecret (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return agree(secretKeyObject(secretKey), publicKey)
}

/**
 * A shared secret with `publicKey` under a single-use ephemeral key that never leaves node's
 * KeyObject (and so is never imported or cached): the sender side of sealTo.
 */
export function x25519EphemeralAgreement (publicKey: Uint8Array): { ephemeralPublic: Uint8Array, shared: Uint8Array } {
  const { privateKey, publicKey: ephemeral } = generateKeyPairSync('x25519')
  const shared = agree(privateKey, publicKey)
  return { ephemeralPublic: fromBase64url(ephemeral.export({ format: 'jwk' }).x), shared }
}

function agree (privateKey: KeyObject, publicKey: Uint8Array): Uint8Array {
  assertLength('X25519 public key', publicKey, X25519_KEY_LENGTH, 'INVALID_KEY')
  let shared: Buffer
  try {
    shared = diffieHellman({ privateKey, publicKey: importPublic(publicKey) })
  } catch (err) {
    // OpenSSL refuses to derive an all-zero secret; anything else here is also a bad peer key.
    throw new CryptoError('WEAK_KEY', 'X25519 public key is of low order: the shared secret would be all zeros', { cause: String(err) })
  }
  if (isAllZero(shared)) {
    throw new CryptoError('WEAK_KEY', 'X25519 public key is of low order: the shared secret would be all zeros')
  }
  return toUint8(shared)
}

/** The X25519 secret of an Ed25519 seed: the clamped first half of SHA-512(seed), as in RFC 8032 key expansion. */
export function ed25519SecretToX25519 (edSeed: Uint8Array): Uint8Array {
  assertLength('Ed25519 secret key (seed)', edSeed, 32, 'INVALID_KEY')
  return Uint8Array.from(ed25519.utils.toMontgomerySecret(edSeed))
}

/** The X25519 public key of an Ed25519 public key (the birational map u = (1 + y) / (1 - y)). */
export function ed25519PublicToX25519 (edPublic: Uint8Array): Uint8Array {
  assertLength('Ed25519 public key', edPublic, 32, 'INVALID_KEY')
  try {
    return Uint8Array.from(ed25519.utils.toMontgomery(edPublic))
  } catch (err) {
    throw new CryptoError('INVALID_KEY', 'Ed25519 public key is not a valid curve point', { cause: String(err) })
  }
}

function isAllZero (bytes: Uint8Array): boolean {
  let acc = 0
  for (const byte of bytes) acc |= byte
  return acc === 0
}
