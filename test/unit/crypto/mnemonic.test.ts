import { expect } from 'chai'
import fc from 'fast-check'
import { mnemonicToSeedSync, entropyToMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import {
  generateMnemonic, validateMnemonic, mnemonicToSeed, accountFromMnemonic, accountFromSecretKey,
  contentMasterFromMnemonic, addressFromPublicKey, ed25519Sign, ed25519Verify, CryptoError
} from '../../../src/crypto/index.js'

const ABANDON = `${'abandon '.repeat(11)}about`
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('crypto/mnemonic', () => {
  // @scure's pure-JS PBKDF2 takes up to half a second on a busy machine: compute the reference once.
  let abandonSeed: Uint8Array
  before(() => { abandonSeed = mnemonicToSeedSync(ABANDON) })

  it('generates valid 24-word English mnemonics', () => {
    const a = generateMnemonic()
    const b = generateMnemonic()
    expect(a.split(' ')).to.have.length(24)
    expect(a.split(' ').every((word) => wordlist.includes(word))).to.equal(true)
    expect(validateMnemonic(a)).to.equal(true)
    expect(a).to.not.equal(b)
  })

  it('rejects wrong words, a wrong checksum and the wrong type', () => {
    expect(validateMnemonic(ABANDON)).to.equal(true)
    expect(validateMnemonic(`${'abandon '.repeat(11)}abandon`)).to.equal(false) // checksum
    expect(validateMnemonic(`${'abandon '.repeat(11)}folio`)).to.equal(false) // not a word
    expect(validateMnemonic('')).to.equal(false)
    expect(validateMnemonic(undefined as unknown as string)).to.equal(false)
  })

  it('computes the BIP-39 seed of the published all-"abandon" vector', () => {
    expect(bytesToHex(abandonSeed)).to.equal(bytesToHex(mnemonicToSeed(ABANDON)))
    expect(bytesToHex(mnemonicToSeed(ABANDON))).to.equal(
      '5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1' +
      '9a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4')
  })

  it('computes the same seed as @scure/bip39', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (entropy) => {
      const mnemonic = entropyToMnemonic(entropy, wordlist)
      expect(bytesToHex(mnemonicToSeed(mnemonic))).to.equal(bytesToHex(mnemonicToSeedSync(mnemonic)))
    }), { numRuns: 2 })
  })

  it('tolerates surrounding and repeated whitespace', () => {
    const spaced = `  ${ABANDON.split(' ').join('   ')}\n`
    expect(validateMnemonic(spaced)).to.equal(true)
    expect(bytesToHex(mnemonicToSeed(spaced))).to.equal(bytesToHex(mnemonicToSeed(ABANDON)))
  })

  it('derives accounts deterministically, as documented, distinct per index', () => {
    const seed = abandonSeed
    for (const index of [0, 1, 7]) {
      const account = accountFromMnemonic(ABANDON, index)
      const expectedSecret = hkdf(sha256, seed, utf8('folio'), utf8(`folio/account/v1/${index}`), 32)
      expect(bytesToHex(account.secretKey)).to.equal(bytesToHex(expectedSecret))
      expect(bytesToHex(account.publicKey)).to.equal(bytesToHex(ed25519.getPublicKey(expectedSecret)))
      expect(bytesToHex(account.address)).to.equal(bytesToHex(addressFromPublicKey(account.publicKey)))
      expect(bytesToHex(accountFromMnemonic(ABANDON, index).secretKey)).to.equal(bytesToHex(account.secretKey))
    }
    expect(bytesToHex(accountFromMnemonic(ABANDON).secretKey)).to.equal(bytesToHex(accountFromMnemonic(ABANDON, 0).secretKey))
    expect(bytesToHex(accountFromMnemonic(ABANDON, 0).address)).to.not.equal(bytesToHex(accountFromMnemonic(ABANDON, 1).address))
  })

  it('derives the content master secret under its own label', () => {
    const master = contentMasterFromMnemonic(ABANDON)
    const expected = hkdf(sha256, abandonSeed, utf8('folio'), utf8('folio/content-master/v1'), 32)
    expect(bytesToHex(master)).to.equal(bytesToHex(expected))
    expect(bytesToHex(master)).to.not.equal(bytesToHex(accountFromMnemonic(ABANDON).secretKey))
  })

  it('throws INVALID_MNEMONIC for an invalid phrase and INVALID_KEY for a bad index', () => {
    const bad = `${'abandon '.repeat(11)}abandon`
    expect(() => accountFromMnemonic(bad)).to.throw(CryptoError).with.property('code', 'INVALID_MNEMONIC')
    expect(() => contentMasterFromMnemonic(bad)).to.throw(CryptoError).with.property('code', 'INVALID_MNEMONIC')
    expect(() => accountFromMnemonic(ABANDON, -1)).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
    expect(() => accountFromMnemonic(ABANDON, 0.5)).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
  })

  it('accountFromSecretKey gives a working signing account', () => {
    const account = accountFromMnemonic(ABANDON, 3)
    const same = accountFromSecretKey(account.secretKey)
    expect(bytesToHex(same.address)).to.equal(bytesToHex(account.address))
    const message = utf8('folio/tx/v1')
    expect(ed25519Verify(same.publicKey, message, ed25519Sign(same.secretKey, message))).to.equal(true)
    expect(() => accountFromSecretKey(new Uint8Array(31))).to.throw(CryptoError).with.property('code', 'INVALID_KEY')
  })
})
