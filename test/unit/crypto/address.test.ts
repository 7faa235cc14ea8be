import { expect } from 'chai'
import fc from 'fast-check'
import { bech32 } from '@scure/base'
import { sha256 } from '@noble/hashes/sha2.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import {
  addressFromPublicKey, encodeAddress, decodeAddress, isAddress, ADDRESS_PREFIX, CryptoError
} from '../../../src/crypto/index.js'

const address20 = fc.uint8Array({ minLength: 20, maxLength: 20 })
const expectInvalid = (text: string): void => {
  expect(() => decodeAddress(text), text).to.throw(CryptoError).with.property('code', 'INVALID_ADDRESS')
  expect(isAddress(text), text).to.equal(false)
}

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'

/** The BIP-173 checksum check, written out from the spec so the test does not trust the encoder it tests. */
function bip173ChecksumValid (text: string): boolean {
  const separator = text.lastIndexOf('1')
  const hrp = text.slice(0, separator)
  const data = [...text.slice(separator + 1)].map((c) => CHARSET.indexOf(c))
  const values = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31), ...data]
  const generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
  let chk = 1
  for (const value of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ value
    for (let i = 0; i < 5; i++) if (((top >>> i) & 1) === 1) chk ^= generator[i]!
  }
  return chk === 1
}

describe('crypto/address', () => {
  it('is the first 20 bytes of SHA-256 of the public key', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
      const publicKey = ed25519.getPublicKey(seed)
      expect(bytesToHex(addressFromPublicKey(publicKey))).to.equal(bytesToHex(sha256(publicKey).subarray(0, 20)))
    }), { numRuns: 50 })
    expect(() => addressFromPublicKey(new Uint8Array(33))).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
  })

  it('round-trips through bech32 with the fol prefix', () => {
    fc.assert(fc.property(address20, (address) => {
      const text = encodeAddress(address)
      expect(text.startsWith(`${ADDRESS_PREFIX}1`)).to.equal(true)
      expect(text).to.equal(bech32.encode('fol', bech32.toWords(address)))
      expect(bytesToHex(decodeAddress(text))).to.equal(bytesToHex(address))
      expect(isAddress(text)).to.equal(true)
    }), { numRuns: 100 })
  })

  it('produces strings whose BIP-173 checksum verifies independently of @scure', () => {
    // The all-zero address, pinned so that a change of prefix or encoding cannot pass unnoticed.
    const zero = encodeAddress(new Uint8Array(20))
    expect(zero).to.equal('fol1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqurz8ff')
    fc.assert(fc.property(address20, (address) => {
      expect(bip173ChecksumValid(encodeAddress(address))).to.equal(true)
    }), { numRuns: 50 })
    expect(bip173ChecksumValid(zero.slice(0, -1) + 'q')).to.equal(false)
  })

  it('rejects any single changed character (bad checksum)', () => {
    const text = encodeAddress(new Uint8Array(20).fill(0xab))
    fc.assert(fc.property(fc.integer({ min: 4, max: text.length - 1 }), fc.integer({ min: 1, max: 31 }), (position, shift) => {
      const replaced = CHARSET[(CHARSET.indexOf(text[position]!) + shift) % 32]!
      expectInvalid(text.slice(0, position) + replaced + text.slice(position + 1))
    }), { numRuns: 100 })
  })

  it('rejects a wrong prefix, a wrong payload length and malformed strings', () => {
    const bytes = new Uint8Array(20).fill(7)
    expectInvalid(bech32.encode('cosmos', bech32.toWords(bytes)))
    expectInvalid(bech32.encode('fo', bech32.toWords(bytes)))
    expectInvalid(bech32.encode('fol', bech32.toWords(new Uint8Array(32))))
    expectInvalid(bech32.encode('fol', bech32.toWords(new Uint8Array(19))))
    expectInvalid('')
    expectInvalid('fol1')
    expectInvalid('not an address')
    const good = encodeAddress(bytes)
    expectInvalid(good.slice(0, 5) + good.slice(5).toUpperCase()) // mixed case
    expectInvalid(good + 'q')
    expectInvalid(undefined as unknown as string)
  })

  it('rejects an address of the wrong length when encoding', () => {
    expect(() => encodeAddress(new Uint8Array(32))).to.throw(CryptoError).with.property('code', 'INVALID_ADDRESS')
  })
})
