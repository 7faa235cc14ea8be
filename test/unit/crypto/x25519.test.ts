import { expect } from 'chai'
import fc from 'fast-check'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js'
import {
  x25519Generate, x25519PublicKey, x25519SharedSecret, x25519EphemeralAgreement, ed25519SecretToX25519, ed25519PublicToX25519,
  ed25519FromSeed, CryptoError
} from '../../../src/crypto/index.js'

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 })

describe('crypto/x25519', () => {
  it('matches the RFC 7748 §5.2 scalar-multiplication vectors', () => {
    const vectors = [
      ['a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4', 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c', 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552'],
      // The u-coordinate has its top bit set, which X25519 must ignore.
      ['4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d', 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493', '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957']
    ]
    for (const [scalar, u, out] of vectors) {
      expect(bytesToHex(x25519SharedSecret(hexToBytes(scalar), hexToBytes(u)))).to.equal(out)
    }
  })

  it('matches the RFC 7748 §5.2 iterated vector after 1 and 1,000 iterations', () => {
    let k: Uint8Array = hexToBytes('0900000000000000000000000000000000000000000000000000000000000000')
    let u: Uint8Array = k
    for (let i = 1; i <= 1000; i++) {
      const next = x25519SharedSecret(k, u)
      u = k
      k = next
      if (i === 1) expect(bytesToHex(k)).to.equal('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079')
    }
    expect(bytesToHex(k)).to.equal('684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51')
  })

  it('matches the RFC 7748 §6.1 Diffie-Hellman vector', () => {
    const alice = hexToBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
    const bob = hexToBytes('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')
    const alicePublic = x25519PublicKey(alice)
    const bobPublic = x25519PublicKey(bob)
    expect(bytesToHex(alicePublic)).to.equal('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
    expect(bytesToHex(bobPublic)).to.equal('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'
    expect(bytesToHex(x25519SharedSecret(alice, bobPublic))).to.equal(shared)
    expect(bytesToHex(x25519SharedSecret(bob, alicePublic))).to.equal(shared)
  })

  it('agrees with @noble on public keys and shared secrets', () => {
    fc.assert(fc.property(key32, key32, (a, b) => {
      const bPublic = x25519.getPublicKey(b)
      expect(bytesToHex(x25519PublicKey(a))).to.equal(bytesToHex(x25519.getPublicKey(a)))
      expect(bytesToHex(x25519SharedSecret(a, bPublic))).to.equal(bytesToHex(x25519.getSharedSecret(a, bPublic)))
    }), { numRuns: 100 })
  })

  it('generated pairs are consistent with @noble and agree on a shared secret', () => {
    const a = x25519Generate()
    const b = x25519Generate()
    expect(a.secretKey.length).to.equal(32)
    expect(bytesToHex(x25519PublicKey(a.secretKey))).to.equal(bytesToHex(a.publicKey))
    expect(bytesToHex(x25519.getPublicKey(a.secretKey))).to.equal(bytesToHex(a.publicKey))
    expect(bytesToHex(x25519SharedSecret(a.secretKey, b.publicKey))).to.equal(bytesToHex(x25519SharedSecret(b.secretKey, a.publicKey)))
  })

  it('ephemeral agreement yields the secret the recipient computes', () => {
    const recipient = x25519Generate()
    const first = x25519EphemeralAgreement(recipient.publicKey)
    const second = x25519EphemeralAgreement(recipient.publicKey)
    expect(bytesToHex(first.shared)).to.equal(bytesToHex(x25519SharedSecret(recipient.secretKey, first.ephemeralPublic)))
    expect(bytesToHex(first.ephemeralPublic)).to.not.equal(bytesToHex(second.ephemeralPublic))
    expect(() => x25519EphemeralAgreement(new Uint8Array(32))).to.throw(CryptoError).with.property('code', 'WEAK_KEY')
    expect(() => x25519EphemeralAgreement(new Uint8Array(31))).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
  })

  it('throws WEAK_KEY for low-order public keys', () => {
    const secret = x25519Generate().secretKey
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
    ]
    for (const hex of lowOrder) {
      expect(() => x25519SharedSecret(secret, hexToBytes(hex)), hex).to.throw(CryptoError).with.property('code', 'WEAK_KEY')
    }
  })

  it('throws INVALID_KEY for keys of the wrong length', () => {
    const pair = x25519Generate()
    expect(() => x25519SharedSecret(pair.secretKey, new Uint8Array(31))).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
    expect(() => x25519SharedSecret(new Uint8Array(33), pair.publicKey)).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
    expect(() => x25519PublicKey(new Uint8Array(0))).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
  })

  describe('Ed25519 → X25519', () => {
    it('secret and public conversions agree', () => {
      fc.assert(fc.property(key32, (seed) => {
        const pair = ed25519FromSeed(seed)
        const fromSecret = x25519PublicKey(ed25519SecretToX25519(seed))
        expect(bytesToHex(fromSecret)).to.equal(bytesToHex(ed25519PublicToX25519(pair.publicKey)))
      }), { numRuns: 100 })
    })

    it('matches @noble conversion helpers', () => {
      fc.assert(fc.property(key32, (seed) => {
        expect(bytesToHex(ed25519SecretToX25519(seed))).to.equal(bytesToHex(ed25519.utils.toMontgomerySecret(seed)))
        const pub = ed25519.getPublicKey(seed)
        expect(bytesToHex(ed25519PublicToX25519(pub))).to.equal(bytesToHex(ed25519.utils.toMontgomery(pub)))
      }), { numRuns: 50 })
    })

    it('lets two Ed25519 wallets agree on a secret', () => {
      const alice = ed25519FromSeed(new Uint8Array(32).fill(1))
      const bob = ed25519FromSeed(new Uint8Array(32).fill(2))
      const ab = x25519SharedSecret(ed25519SecretToX25519(alice.secretKey), ed25519PublicToX25519(bob.publicKey))
      const ba = x25519SharedSecret(ed25519SecretToX25519(bob.secretKey), ed25519PublicToX25519(alice.publicKey))
      expect(bytesToHex(ab)).to.equal(bytesToHex(ba))
    })

    it('rejects public keys that are not curve points with INVALID_KEY', () => {
      // y = 2 has no matching x on edwards25519.
      const notOnCurve = hexToBytes('0200000000000000000000000000000000000000000000000000000000000000')
      expect(() => ed25519PublicToX25519(notOnCurve)).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
      expect(() => ed25519PublicToX25519(new Uint8Array(31))).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
      expect(() => ed25519SecretToX25519(new Uint8Array(16))).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
    })
  })
})
