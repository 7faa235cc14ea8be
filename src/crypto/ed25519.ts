/**
 * Ed25519 signatures (RFC 8032) for accounts and validators, on node:crypto. Raw keys become
 * KeyObjects, which are cached (see keyCache.ts). Public keys are imported as JWK rather than
 * DER: measured on Node 20 / OpenSSL 3, a JWK import is ~30x faster (74k vs 2.5k per second)
 * because it skips OpenSSL's generic decoder, and an uncached verify is mostly import cost.
 * Seeds are imported as PKCS#8 DER (JWK would need the public key we are about to compute);
 * they are few and stay cached. Verification never throws: a malformed key or signature from the
 * network is simply an invalid signature.
 *
 * Verification also refuses small-order public keys. OpenSSL (like @noble's default ZIP-215 mode)
 * accepts them, and under such a key a trivial signature verifies for every message — a validator
 * registering one could "sign" anything. @noble with `zip215: false` rejects them too.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { assertLength } from './errors.js'
import { randomBytes } from './hash.js'
import { toUint8, toBase64url, fromBase64url } from './bytes.js'
import { KeyObjectCache } from './keyCache.js'
import { binaryKey } from '../codec/hex.js'

export interface KeyPair {
  /** The 32-byte seed (Ed25519) or scalar (X25519). */
  secretKey: Uint8Array
  publicKey: Uint8Array
}

export const ED25519_SEED_LENGTH = 32
export const ED25519_PUBLIC_KEY_LENGTH = 32
export const ED25519_SIGNATURE_LENGTH = 64

// DER header for the Ed25519 OID 1.3.101.112 (RFC 8410); the raw seed follows.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/**
 * Every 32-byte encoding of a point of small order: the 8 torsion points with either sign bit,
 * plus y + p for the two y values (0 and 1) small enough for that to fit in 255 bits. 14 in all.
 */
function smallOrderEncodings (): Set<string> {
  const P = 2n ** 255n - 19n
  const ys = new Set(ED25519_TORSION_SUBGROUP.map((hex) => {
    const bytes = Buffer.from(hex, 'hex')
    bytes[31]! &= 0x7f
    return BigInt('0x' + Buffer.from(bytes).reverse().toString('hex'))
  }))
  const encodings = new Set<string>()
  for (const y of ys) {
    for (const value of y + P < 2n ** 255n ? [y, y + P] : [y]) {
      const bytes = Buffer.from(value.toString(16).padStart(64, '0'), 'hex').reverse()
      encodings.add(bytes.toString('latin1'))
      bytes[31]! |= 0x80
      encodings.add(bytes.toString('latin1'))
    }
  }
  return encodings
}
const SMALL_ORDER = smallOrderEncodings()

/** True for the 14 encodings of small-order points, which ed25519Verify always rejects. */
export function isSmallOrderPublicKey (publicKey: Uint8Array): boolean {
  return publicKey.length === ED25519_PUBLIC_KEY_LENGTH &&
    SMALL_ORDER.has(binaryKey(publicKey))
}

const CACHE_CAPACITY = 10_000
const publicKeyCache = new KeyObjectCache(CACHE_CAPACITY)
const secretKeyCache = new KeyObjectCache(CACHE_CAPACITY)

function importSecret (seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
}

function importPublic (publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64url(publicKey) }, format: 'jwk' })
}

function secretKeyObject (seed: Uint8Array): KeyObject {
  assertLength('Ed25519 secret key (seed)', seed, ED25519_SEED_LENGTH, 'INVALID_KEY')
  return secretKeyCache.getOrCreate(seed, importSecret)
}

export function ed25519FromSeed (seed: Uint8Array): KeyPair {
  const jwk = createPublicKey(secretKeyObject(seed)).export({ format: 'jwk' })
  return { secretKey: Uint8Array.from(seed), publicKey: fromBase64url(jwk.x) }
}

export function ed25519Generate (): KeyPair {
  return ed25519FromSeed(randomBytes(ED25519_SEED_LENGTH))
}

export function ed25519Sign (secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return toUint8(sign(null, message, secretKeyObject(secretKey)))
}

export function ed25519Verify (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) return false
  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_LENGTH) return false
  if (!(message instanceof Uint8Array)) return false
  if (isSmallOrderPublicKey(publicKey)) return false
  try {
    return verify(null, message, publicKeyCache.getOrCreate(publicKey, importPublic), signature)
  } catch {
    // OpenSSL rejects some encodings at import time (e.g. a y coordinate off the curve).
    return false
  }
}

/** Throws INVALID_SIGNATURE_LENGTH unless `signature` is 64 bytes: for decoders that want a typed reason. */
export function assertSignatureLength (signature: Uint8Array): void {
  assertLength('Ed25519 signature', signature, ED25519_SIGNATURE_LENGTH, 'INVALID_SIGNATURE_LENGTH')
}

/** Drops every cached KeyObject; for tests and for operators rotating keys. */
export function clearEd25519KeyCache (): void {
  publicKeyCache.clear()
  secretKeyCache.clear()
}
