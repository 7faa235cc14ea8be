/**
 * Account addresses (MISSION.md §3): the first 20 bytes of SHA-256(public key), shown as bech32
 * with the human-readable prefix `fol`. bech32's checksum catches typos before funds move to an
 * address nobody holds.
 */
import { bech32 } from '@scure/base'
import { CryptoError, assertLength } from './errors.js'
import { sha256 } from './hash.js'

export const ADDRESS_PREFIX = 'fol'
export const ADDRESS_LENGTH = 20

export function addressFromPublicKey (publicKey: Uint8Array): Uint8Array {
  assertLength('public key', publicKey, 32, 'INVALID_KEY')
  return sha256(publicKey).slice(0, ADDRESS_LENGTH)
}

export function encodeAddress (address: Uint8Array): string {
  assertLength('address', address, ADDRESS_LENGTH, 'INVALID_ADDRESS')
  return bech32.encode(ADDRESS_PREFIX, bech32.toWords(address))
}

/** Throws INVALID_ADDRESS for anything but a `fol1…` bech32 string carrying 20 bytes. */
export function decodeAddress (text: string): Uint8Array {
  if (typeof text !== 'string') {
    throw new CryptoError('INVALID_ADDRESS', 'address must be a string')
  }
  let prefix: string
  let words: number[]
  try {
    ({ prefix, words } = bech32.decode(text))
  } catch (err) {
    throw new CryptoError('INVALID_ADDRESS', `"${text}" is not a valid bech32 address: ${(err as Error).message}`, { text })
  }
  if (prefix !== ADDRESS_PREFIX) {
    throw new CryptoError('INVALID_ADDRESS', `address "${text}" has prefix "${prefix}", expected "${ADDRESS_PREFIX}"`, { text, prefix })
  }
  const bytes = bech32.fromWordsUnsafe(words)
  if (bytes === undefined || bytes.length !== ADDRESS_LENGTH) {
    throw new CryptoError('INVALID_ADDRESS', `address "${text}" does not carry ${ADDRESS_LENGTH} bytes`, { text })
  }
  return Uint8Array.from(bytes)
}

export function isAddress (text: string): boolean {
  try {
    decodeAddress(text)
    return true
  } catch {
    return false
  }
}
