/**
 * BIP-39 mnemonics for wallets and creators (MISSION.md §3). One mnemonic yields a sequence of
 * Ed25519 accounts and one content master secret, each through HKDF with its own label, so
 * recovering the mnemonic recovers every account and every card's content key.
 *
 * The BIP-39 seed (PBKDF2-HMAC-SHA512, 2,048 rounds) is computed with node:crypto; tests check it
 * against @scure/bip39's mnemonicToSeedSync, which is several times slower in pure JS.
 */
import { pbkdf2Sync } from 'node:crypto'
import { generateMnemonic as scureGenerate, validateMnemonic as scureValidate } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { CryptoError } from './errors.js'
import { hkdfSha256 } from './hkdf.js'
import { ed25519FromSeed } from './ed25519.js'
import { addressFromPublicKey } from './address.js'

export interface Account {
  /** The Ed25519 seed. */
  secretKey: Uint8Array
  publicKey: Uint8Array
  /** 20 bytes; encodeAddress gives the `fol1…` form. */
  address: Uint8Array
}

const DERIVATION_SALT = new TextEncoder().encode('folio')
const MNEMONIC_STRENGTH_BITS = 256

/** A fresh 24-word English mnemonic. */
export function generateMnemonic (): string {
  return scureGenerate(wordlist, MNEMONIC_STRENGTH_BITS)
}

export function validateMnemonic (mnemonic: string): boolean {
  if (typeof mnemonic !== 'string') return false
  return scureValidate(normalize(mnemonic), wordlist)
}

function normalize (mnemonic: string): string {
  return mnemonic.normalize('NFKD').trim().split(/\s+/).join(' ')
}

/** The 64-byte BIP-39 seed with an empty passphrase; throws INVALID_MNEMONIC. Slow by design (~ms). */
export function mnemonicToSeed (mnemonic: string): Uint8Array {
  if (!validateMnemonic(mnemonic)) {
    throw new CryptoError('INVALID_MNEMONIC', 'mnemonic is not a valid BIP-39 English phrase (check the words and their order)')
  }
  return new Uint8Array(pbkdf2Sync(normalize(mnemonic), 'mnemonic', 2048, 64, 'sha512'))
}

export function accountFromSecretKey (secretKey: Uint8Array): Account {
  const pair = ed25519FromSeed(secretKey)
  return { secretKey: pair.secretKey, publicKey: pair.publicKey, address: addressFromPublicKey(pair.publicKey) }
}

/** Account number `index` (default 0) of a mnemonic. */
export function accountFromMnemonic (mnemonic: string, index = 0): Account {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new CryptoError('INVALID_KEY', `account index must be a non-negative integer, got ${index}`, { index })
  }
  const seed = mnemonicToSeed(mnemonic)
  return accountFromSecretKey(hkdfSha256(seed, DERIVATION_SALT, `folio/account/v1/${index}`, 32))
}

/** The creator's master secret from which each card's content key is derived (with the card's salt). */
export function contentMasterFromMnemonic (mnemonic: string): Uint8Array {
  return hkdfSha256(mnemonicToSeed(mnemonic), DERIVATION_SALT, 'folio/content-master/v1', 32)
}
