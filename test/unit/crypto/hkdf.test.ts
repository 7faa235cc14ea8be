import { expect } from 'chai'
import fc from 'fast-check'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js'
import { hkdfSha256, CryptoError, HKDF_MAX_LENGTH } from '../../../src/crypto/index.js'

const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('crypto/hkdf', () => {
  it('matches RFC 5869 A.1 (basic)', () => {
    const okm = hkdfSha256(new Uint8Array(22).fill(0x0b), hexToBytes('000102030405060708090a0b0c'), hexToBytes('f0f1f2f3f4f5f6f7f8f9'), 42)
    expect(bytesToHex(okm)).to.equal('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865')
  })

  it('matches RFC 5869 A.2 (long inputs and outputs)', () => {
    const okm = hkdfSha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82)
    expect(bytesToHex(okm)).to.equal(
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
      '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
      'cc30c58179ec3e87c14c01d5c1f3434f1d87')
  })

  it('matches RFC 5869 A.3 (empty salt and info)', () => {
    const okm = hkdfSha256(new Uint8Array(22).fill(0x0b), new Uint8Array(0), '', 42)
    expect(bytesToHex(okm)).to.equal('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8')
  })

  it('agrees with @noble on random input; string info is UTF-8', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 96 }), fc.uint8Array({ maxLength: 96 }), fc.string({ maxLength: 64 }), fc.integer({ min: 1, max: 200 }),
      (ikm, salt, info, length) => {
        const infoBytes = new TextEncoder().encode(info)
        const expected = bytesToHex(hkdf(sha256, ikm, salt, infoBytes, length))
        expect(bytesToHex(hkdfSha256(ikm, salt, info, length))).to.equal(expected)
        expect(bytesToHex(hkdfSha256(ikm, salt, infoBytes, length))).to.equal(expected)
      }), { numRuns: 100 })
  })

  it('rejects output lengths outside 1..8160 and oversized info with INVALID_LENGTH', () => {
    const ikm = new Uint8Array(32)
    for (const length of [0, -1, 1.5, HKDF_MAX_LENGTH + 1]) {
      expect(() => hkdfSha256(ikm, ikm, 'x', length)).to.throw(CryptoError).with.property('code', 'INVALID_LENGTH')
    }
    expect(hkdfSha256(ikm, ikm, 'x', HKDF_MAX_LENGTH).length).to.equal(HKDF_MAX_LENGTH)
    expect(() => hkdfSha256(ikm, ikm, 'x'.repeat(1025), 32)).to.throw(CryptoError).with.property('code', 'INVALID_LENGTH')
  })
})
