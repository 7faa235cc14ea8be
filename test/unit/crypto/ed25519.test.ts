import { expect } from 'chai'
import fc from 'fast-check'
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { hexToBytes, bytesToHex } from '@noble/hashes/utils.js'
import {
  ed25519FromSeed, ed25519Generate, ed25519Sign, ed25519Verify, assertSignatureLength, isSmallOrderPublicKey, CryptoError
} from '../../../src/crypto/index.js'

// RFC 8032 §7.1, TEST 1–3.
const RFC8032 = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'
  },
  {
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'
  }
]

const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 })

describe('crypto/ed25519', () => {
  for (const [i, v] of RFC8032.entries()) {
    it(`matches RFC 8032 §7.1 TEST ${i + 1}`, () => {
      const pair = ed25519FromSeed(hexToBytes(v.secret))
      expect(bytesToHex(pair.publicKey)).to.equal(v.public)
      const signature = ed25519Sign(pair.secretKey, hexToBytes(v.message))
      expect(bytesToHex(signature)).to.equal(v.signature)
      expect(ed25519Verify(pair.publicKey, hexToBytes(v.message), signature)).to.equal(true)
    })
  }

  it('derives the same public key and signature as @noble', () => {
    fc.assert(fc.property(seedArb, fc.uint8Array({ maxLength: 512 }), (seed, message) => {
      const pair = ed25519FromSeed(seed)
      expect(bytesToHex(pair.publicKey)).to.equal(bytesToHex(ed25519.getPublicKey(seed)))
      const signature = ed25519Sign(seed, message)
      // Ed25519 is deterministic, so the signatures must be byte-identical.
      expect(bytesToHex(signature)).to.equal(bytesToHex(ed25519.sign(message, seed)))
      expect(ed25519.verify(signature, message, pair.publicKey)).to.equal(true)
    }), { numRuns: 100 })
  })

  it('verifies what @noble signs and rejects what @noble rejects', () => {
    fc.assert(fc.property(seedArb, fc.uint8Array({ maxLength: 256 }), fc.nat(), (seed, message, flip) => {
      const publicKey = ed25519.getPublicKey(seed)
      const signature = ed25519.sign(message, seed)
      expect(ed25519Verify(publicKey, message, signature)).to.equal(true)
      const tampered = signature.slice()
      tampered[flip % 64] ^= 1 << (flip % 8)
      expect(ed25519Verify(publicKey, message, tampered)).to.equal(ed25519.verify(tampered, message, publicKey))
    }), { numRuns: 100 })
  })

  it('rejects a tampered message, a tampered signature and the wrong key', () => {
    const pair = ed25519Generate()
    const other = ed25519Generate()
    const message = new TextEncoder().encode('folio/tx/v1 transfer')
    const signature = ed25519Sign(pair.secretKey, message)
    expect(ed25519Verify(pair.publicKey, message, signature)).to.equal(true)

    const badMessage = message.slice()
    badMessage[0] ^= 1
    expect(ed25519Verify(pair.publicKey, badMessage, signature)).to.equal(false)

    for (const index of [0, 31, 32, 63]) {
      const badSignature = signature.slice()
      badSignature[index] ^= 0x80
      expect(ed25519Verify(pair.publicKey, message, badSignature)).to.equal(false)
    }
    expect(ed25519Verify(other.publicKey, message, signature)).to.equal(false)
  })

  it('returns false, never throws, on malformed lengths and keys', () => {
    const pair = ed25519Generate()
    const message = new Uint8Array([1, 2, 3])
    const signature = ed25519Sign(pair.secretKey, message)
    expect(ed25519Verify(pair.publicKey.subarray(0, 31), message, signature)).to.equal(false)
    expect(ed25519Verify(new Uint8Array(33), message, signature)).to.equal(false)
    expect(ed25519Verify(pair.publicKey, message, signature.subarray(0, 63))).to.equal(false)
    expect(ed25519Verify(pair.publicKey, message, new Uint8Array(65))).to.equal(false)
    expect(ed25519Verify(new Uint8Array(0), message, new Uint8Array(0))).to.equal(false)
    expect(ed25519Verify(pair.publicKey, undefined as unknown as Uint8Array, signature)).to.equal(false)
    // Random 32-byte strings are often not valid points; none may throw.
    fc.assert(fc.property(seedArb, fc.uint8Array({ minLength: 64, maxLength: 64 }), (publicKey, sig) => {
      expect(ed25519Verify(publicKey, message, sig)).to.equal(false)
    }), { numRuns: 100 })
    // An all-ones key has y >= p: not a canonical point encoding.
    expect(ed25519Verify(new Uint8Array(32).fill(0xff), message, signature)).to.equal(false)
  })

  it('refuses small-order public keys, under which a trivial signature fits every message', () => {
    const identity = hexToBytes('0100000000000000000000000000000000000000000000000000000000000000')
    const trivial = new Uint8Array(64)
    trivial.set(identity, 0) // R = identity, S = 0
    const message = new TextEncoder().encode('folio/vote/v1 anything at all')
    // The forgery is real: the lenient (ZIP-215) rule accepts it, the strict rule does not.
    expect(ed25519.verify(trivial, message, identity)).to.equal(true)
    expect(ed25519.verify(trivial, message, identity, { zip215: false })).to.equal(false)
    expect(ed25519Verify(identity, message, trivial)).to.equal(false)
  })

  it('lists exactly the 14 encodings of small-order points', () => {
    const candidates: Uint8Array[] = []
    for (const hex of ED25519_TORSION_SUBGROUP) {
      const base = hexToBytes(hex)
      for (const sign of [0x00, 0x80]) {
        const c = base.slice()
        c[31] = (c[31]! & 0x7f) | sign
        candidates.push(c)
      }
    }
    // y = p and y = p + 1: non-canonical aliases of y = 0 and y = 1.
    for (const low of [0xed, 0xee]) {
      for (const sign of [0x7f, 0xff]) {
        const c = new Uint8Array(32).fill(0xff)
        c[0] = low
        c[31] = sign
        candidates.push(c)
      }
    }
    const distinct = new Set(candidates.map(bytesToHex))
    expect(distinct.size).to.equal(14)
    for (const hex of distinct) {
      const bytes = hexToBytes(hex)
      expect(isSmallOrderPublicKey(bytes), hex).to.equal(true)
      // Cross-check that it really is a small-order point, decoding leniently as ZIP-215 does.
      expect(ed25519.Point.fromBytes(bytes, true).isSmallOrder(), hex).to.equal(true)
    }
    fc.assert(fc.property(seedArb, (seed) => {
      expect(isSmallOrderPublicKey(ed25519.getPublicKey(seed))).to.equal(false)
    }), { numRuns: 50 })
  })

  it('throws a typed error for a secret key of the wrong length', () => {
    for (const bad of [new Uint8Array(31), new Uint8Array(64)]) {
      expect(() => ed25519Sign(bad, new Uint8Array(1))).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
      expect(() => ed25519FromSeed(bad)).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
    }
  })

  it('assertSignatureLength gives decoders a typed reason', () => {
    expect(() => assertSignatureLength(new Uint8Array(64))).to.not.throw()
    expect(() => assertSignatureLength(new Uint8Array(63))).to.throw(CryptoError).with.property('code', 'INVALID_SIGNATURE_LENGTH')
  })

  it('generates distinct key pairs whose seeds reproduce them', () => {
    const a = ed25519Generate()
    const b = ed25519Generate()
    expect(bytesToHex(a.publicKey)).to.not.equal(bytesToHex(b.publicKey))
    expect(bytesToHex(ed25519FromSeed(a.secretKey).publicKey)).to.equal(bytesToHex(a.publicKey))
  })

  it('keeps verifying correctly after the key cache has evicted entries', () => {
    const pair = ed25519FromSeed(new Uint8Array(32).fill(7))
    const message = new Uint8Array([9])
    const signature = ed25519Sign(pair.secretKey, message)
    expect(ed25519Verify(pair.publicKey, message, signature)).to.equal(true)
    // Flood the cache with more than its capacity of distinct public keys (cheap: invalid ones are cached too).
    const filler = new Uint8Array(32)
    for (let i = 0; i < 10_050; i++) {
      new DataView(filler.buffer).setUint32(0, i)
      ed25519Verify(filler, message, signature)
    }
    expect(ed25519Verify(pair.publicKey, message, signature)).to.equal(true)
  })
})
