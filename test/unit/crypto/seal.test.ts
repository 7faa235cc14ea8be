import { expect } from 'chai'
import fc from 'fast-check'
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js'
import {
  sealTo, openSealed, x25519Generate, ed25519Generate, ed25519SecretToX25519, ed25519PublicToX25519,
  CryptoError, SEAL_OVERHEAD
} from '../../../src/crypto/index.js'

const INFO = 'folio/test-seal/v1'
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('crypto/seal', () => {
  it('round-trips random plaintexts', () => {
    const recipient = x25519Generate()
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (plaintext) => {
      const sealed = sealTo(recipient.publicKey, plaintext, INFO)
      expect(sealed.length).to.equal(plaintext.length + SEAL_OVERHEAD)
      expect(bytesToHex(openSealed(recipient.secretKey, sealed, INFO))).to.equal(bytesToHex(plaintext))
    }), { numRuns: 50 })
  })

  it('follows the documented construction (checked with @noble)', () => {
    const recipient = x25519Generate()
    const plaintext = utf8('a 32-byte content key goes here.')
    const sealed = sealTo(recipient.publicKey, plaintext, INFO)
    const ephemeralPublic = sealed.subarray(0, 32)
    const shared = x25519.getSharedSecret(recipient.secretKey, ephemeralPublic)
    const key = hkdf(sha256, shared, concatBytes(ephemeralPublic, recipient.publicKey), utf8(INFO), 32)
    const opened = chacha20poly1305(key, new Uint8Array(12)).decrypt(sealed.subarray(32))
    expect(bytesToHex(opened)).to.equal(bytesToHex(plaintext))
  })

  it('uses a fresh ephemeral key per message', () => {
    const recipient = x25519Generate()
    const a = sealTo(recipient.publicKey, utf8('same'), INFO)
    const b = sealTo(recipient.publicKey, utf8('same'), INFO)
    expect(bytesToHex(a.subarray(0, 32))).to.not.equal(bytesToHex(b.subarray(0, 32)))
    expect(bytesToHex(a)).to.not.equal(bytesToHex(b))
  })

  it('fails with DECRYPT_FAILED for the wrong recipient, the wrong info or tampering', () => {
    const recipient = x25519Generate()
    const stranger = x25519Generate()
    const sealed = sealTo(recipient.publicKey, utf8('content key'), INFO)
    const expectFailure = (fn: () => unknown): void => {
      expect(fn).to.throw(CryptoError).with.property('code', 'DECRYPT_FAILED')
    }
    expectFailure(() => openSealed(stranger.secretKey, sealed, INFO))
    expectFailure(() => openSealed(recipient.secretKey, sealed, 'folio/other-purpose/v1'))
    for (const index of [0, 31, 32, sealed.length - 1]) {
      const tampered = sealed.slice()
      tampered[index] ^= 0x01
      expectFailure(() => openSealed(recipient.secretKey, tampered, INFO))
    }
    expectFailure(() => openSealed(recipient.secretKey, sealed.subarray(0, SEAL_OVERHEAD - 1), INFO))
    // A low-order ephemeral key (all zeros) is reported as a failed open, not a weak key.
    const zeroEphemeral = sealed.slice()
    zeroEphemeral.fill(0, 0, 32)
    expectFailure(() => openSealed(recipient.secretKey, zeroEphemeral, INFO))
  })

  it('refuses malformed and low-order recipient keys', () => {
    expect(() => sealTo(new Uint8Array(31), utf8('x'), INFO)).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
    expect(() => sealTo(new Uint8Array(32), utf8('x'), INFO)).to.throw(CryptoError).with.property('code', 'WEAK_KEY')
    expect(() => openSealed(new Uint8Array(16), new Uint8Array(64), INFO)).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
  })

  it('wraps to an Ed25519 wallet through its derived X25519 key', () => {
    const wallet = ed25519Generate()
    const sealed = sealTo(ed25519PublicToX25519(wallet.publicKey), utf8('escrow share'), INFO)
    expect(new TextDecoder().decode(openSealed(ed25519SecretToX25519(wallet.secretKey), sealed, INFO))).to.equal('escrow share')
  })
})
