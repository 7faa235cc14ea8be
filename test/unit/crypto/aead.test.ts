import { expect } from 'chai'
import fc from 'fast-check'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js'
import { aeadEncrypt, aeadDecrypt, sliceNonce, randomBytes, CryptoError } from '../../../src/crypto/index.js'

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const nonce12 = fc.uint8Array({ minLength: 12, maxLength: 12 })

describe('crypto/aead', () => {
  it('matches RFC 8439 §2.8.2', () => {
    const key = hexToBytes('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f')
    const nonce = hexToBytes('070000004041424344454647')
    const aad = hexToBytes('50515253c0c1c2c3c4c5c6c7')
    const plaintext = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
    const expected =
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6' +
      '3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
      '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
      '3ff4def08e4b7a9de576d26586cec64b6116' +
      '1ae10b594f09e26a7e902ecbd0600691'
    const sealed = aeadEncrypt(key, nonce, plaintext, aad)
    expect(bytesToHex(sealed)).to.equal(expected)
    expect(bytesToHex(aeadDecrypt(key, nonce, sealed, aad))).to.equal(bytesToHex(plaintext))
  })

  it('agrees with @noble in both directions, with and without AAD', () => {
    fc.assert(fc.property(key32, nonce12, fc.uint8Array({ maxLength: 1024 }), fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
      (key, nonce, plaintext, aad) => {
        const sealed = aeadEncrypt(key, nonce, plaintext, aad)
        expect(sealed.length).to.equal(plaintext.length + 16)
        expect(bytesToHex(sealed)).to.equal(bytesToHex(chacha20poly1305(key, nonce, aad).encrypt(plaintext)))
        const nobleSealed = chacha20poly1305(key, nonce, aad).encrypt(plaintext)
        expect(bytesToHex(aeadDecrypt(key, nonce, nobleSealed, aad))).to.equal(bytesToHex(plaintext))
      }), { numRuns: 100 })
  })

  it('throws DECRYPT_FAILED on any flipped bit, wrong key, wrong nonce or wrong AAD', () => {
    const key = randomBytes(32)
    const nonce = sliceNonce(3)
    const aad = new Uint8Array([1, 2, 3])
    const sealed = aeadEncrypt(key, nonce, new TextEncoder().encode('a slice of content'), aad)
    fc.assert(fc.property(fc.nat({ max: sealed.length * 8 - 1 }), (bit) => {
      const tampered = sealed.slice()
      tampered[bit >> 3] ^= 1 << (bit & 7)
      expect(() => aeadDecrypt(key, nonce, tampered, aad)).to.throw(CryptoError).with.property('code', 'DECRYPT_FAILED')
    }), { numRuns: 100 })
    const otherKey = key.slice()
    otherKey[0] ^= 1
    expect(() => aeadDecrypt(otherKey, nonce, sealed, aad)).to.throw(CryptoError).with.property('code', 'DECRYPT_FAILED')
    expect(() => aeadDecrypt(key, sliceNonce(4), sealed, aad)).to.throw(CryptoError).with.property('code', 'DECRYPT_FAILED')
    expect(() => aeadDecrypt(key, nonce, sealed, new Uint8Array([1, 2, 4]))).to.throw(CryptoError).with.property('code', 'DECRYPT_FAILED')
    expect(() => aeadDecrypt(key, nonce, sealed)).to.throw(CryptoError).with.property('code', 'DECRYPT_FAILED')
  })

  it('throws DECRYPT_FAILED for input shorter than the tag, and opens an empty plaintext', () => {
    const key = randomBytes(32)
    const nonce = sliceNonce(0)
    expect(() => aeadDecrypt(key, nonce, new Uint8Array(15))).to.throw(CryptoError).with.property('code', 'DECRYPT_FAILED')
    const sealed = aeadEncrypt(key, nonce, new Uint8Array(0))
    expect(sealed.length).to.equal(16)
    expect(aeadDecrypt(key, nonce, sealed).length).to.equal(0)
  })

  it('rejects keys and nonces of the wrong length with typed errors', () => {
    const text = new Uint8Array(4)
    expect(() => aeadEncrypt(new Uint8Array(16), sliceNonce(0), text)).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
    expect(() => aeadEncrypt(new Uint8Array(32), new Uint8Array(8), text)).to.throw(CryptoError).with.property('code', 'INVALID_LENGTH')
    expect(() => aeadDecrypt(new Uint8Array(31), sliceNonce(0), new Uint8Array(20))).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
  })

  it('round-trips a 256 KiB slice', () => {
    const key = randomBytes(32)
    const slice = randomBytes(256 * 1024)
    const sealed = aeadEncrypt(key, sliceNonce(41), slice)
    expect(bytesToHex(aeadDecrypt(key, sliceNonce(41), sealed))).to.equal(bytesToHex(slice))
  })

  describe('sliceNonce', () => {
    it('is 4 zero bytes then the index as uint64 big-endian', () => {
      expect(bytesToHex(sliceNonce(0))).to.equal('000000000000000000000000')
      expect(bytesToHex(sliceNonce(1))).to.equal('000000000000000000000001')
      expect(bytesToHex(sliceNonce(0x01020304))).to.equal('000000000000000001020304')
      expect(bytesToHex(sliceNonce(2 ** 32))).to.equal('000000000000000100000000')
      expect(bytesToHex(sliceNonce(Number.MAX_SAFE_INTEGER))).to.equal('00000000001fffffffffffff')
    })

    it('is injective over indices', () => {
      fc.assert(fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (a, b) => {
        const view = new DataView(sliceNonce(a).buffer)
        expect(view.getUint32(0)).to.equal(0)
        expect(view.getBigUint64(4)).to.equal(BigInt(a))
        expect(bytesToHex(sliceNonce(a)) === bytesToHex(sliceNonce(b))).to.equal(a === b)
      }), { numRuns: 200 })
    })

    it('rejects negative, fractional and unsafe indices', () => {
      for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
        expect(() => sliceNonce(bad)).to.throw(CryptoError).with.property('code', 'INVALID_LENGTH')
      }
    })
  })
})
