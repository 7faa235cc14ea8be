import { expect } from 'chai'
import fc from 'fast-check'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { hexToBytes, bytesToHex, concatBytes } from '@noble/hashes/utils.js'
import { sha256, sha256Concat, randomBytes, constantTimeEqual } from '../../../src/crypto/index.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('crypto/hash', () => {
  it('matches the FIPS 180-2 vectors', () => {
    expect(bytesToHex(sha256(new Uint8Array(0)))).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(bytesToHex(sha256(utf8('abc')))).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(bytesToHex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))))
      .to.equal('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1')
  })

  it('agrees with @noble on random input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (data) => {
      expect(bytesToHex(sha256(data))).to.equal(bytesToHex(nobleSha256(data)))
    }), { numRuns: 200 })
  })

  it('sha256Concat hashes the concatenation of its parts', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), (parts) => {
      expect(bytesToHex(sha256Concat(...parts))).to.equal(bytesToHex(nobleSha256(concatBytes(...parts))))
    }), { numRuns: 100 })
  })

  it('returns plain 32-byte Uint8Arrays', () => {
    const digest = sha256(hexToBytes('00'))
    expect(digest).to.be.instanceOf(Uint8Array)
    expect(digest.length).to.equal(32)
  })

  it('randomBytes returns the requested length and differs between calls', () => {
    expect(randomBytes(0).length).to.equal(0)
    const a = randomBytes(32)
    const b = randomBytes(32)
    expect(a.length).to.equal(32)
    expect(bytesToHex(a)).to.not.equal(bytesToHex(b))
  })

  it('constantTimeEqual compares contents and lengths', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
      expect(constantTimeEqual(a, b)).to.equal(bytesToHex(a) === bytesToHex(b))
      expect(constantTimeEqual(a, a.slice())).to.equal(true)
    }), { numRuns: 100 })
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).to.equal(false)
  })
})

describe('crypto outputs', () => {
  it('are plain Uint8Arrays that own their memory (never views into node\'s Buffer pool)', async () => {
    const c = await import('../../../src/crypto/index.js')
    const pair = c.ed25519Generate()
    const x = c.x25519Generate()
    const outputs: Uint8Array[] = [
      c.sha256(new Uint8Array(3)), c.randomBytes(8), pair.publicKey, c.ed25519Sign(pair.secretKey, new Uint8Array(1)),
      x.secretKey, x.publicKey, c.x25519PublicKey(x.secretKey), c.hkdfSha256(new Uint8Array(1), new Uint8Array(0), '', 16),
      c.aeadEncrypt(new Uint8Array(32), c.sliceNonce(0), new Uint8Array(5)), c.sealTo(x.publicKey, new Uint8Array(3), 'i'),
      c.addressFromPublicKey(pair.publicKey), c.decodeAddress(c.encodeAddress(new Uint8Array(20)))
    ]
    for (const output of outputs) {
      expect(Object.getPrototypeOf(output)).to.equal(Uint8Array.prototype)
      expect(output.byteOffset).to.equal(0)
      expect(output.buffer.byteLength).to.equal(output.length)
    }
  })
})
