import { expect } from 'chai'
import fc from 'fast-check'
import { CodecError } from '../../../src/codec/errors.js'
import { bytesEqual, fromHex, toHex } from '../../../src/codec/hex.js'
import { expectList, rlpDecode, rlpEncode } from '../../../src/codec/rlp.js'
import type { RlpItem } from '../../../src/codec/rlp.js'
import { addressFromPublicKey, sha256 } from '../../../src/crypto/index.js'
import { BlockError } from '../../../src/blocks/errors.js'
import {
  decodeTx, encodeTx, signTx, txFromJSON, txId, txSender, txSigningBytes, txToJSON, validateTxStateless, verifyTxSignature
} from '../../../src/blocks/tx.js'
import type { Tx } from '../../../src/blocks/types.js'
import { CHAIN, alice, bob, rules, transfer, errorOf } from './fixtures.js'


/** Re-encodes a valid tx with one top-level RLP field replaced. */
function withField (tx: Tx, index: number, value: RlpItem): Uint8Array {
  const items = expectList(rlpDecode(encodeTx(tx)), 'tx').slice()
  items[index] = value
  return rlpEncode(items)
}

const txArb = fc.record({
  nonce: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fee: fc.bigInt({ min: 0n, max: 1n << 100n }),
  amount: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
  chainId: fc.stringMatching(/^[a-z0-9-]{1,20}$/)
}).map(o => transfer(o))

describe('blocks/tx', () => {
  it('round-trips through bytes and JSON', () => {
    fc.assert(fc.property(txArb, tx => {
      const bytes = encodeTx(tx)
      const back = decodeTx(bytes)
      expect(back).to.deep.equal(tx)
      expect(bytesEqual(encodeTx(back), bytes)).to.equal(true)
      expect(txFromJSON(JSON.parse(JSON.stringify(txToJSON(tx))))).to.deep.equal(tx)
    }), { numRuns: 50 })
  })

  it('shows JSON with hex bytes and decimal amounts', () => {
    const json = txToJSON(transfer({ amount: 12n, fee: 300n, nonce: 4n }))
    expect(json.type).to.equal('transfer')
    expect(json.nonce).to.equal('4')
    expect(json.fee).to.equal('300')
    expect(json.body).to.deep.equal({ to: '0x' + 'bb'.repeat(20), amount: '12' })
    expect(json.from).to.equal(toHex(alice.publicKey))
    expect(errorOf(() => txFromJSON({ ...json, extra: 1 })).message).to.equal('extra: unknown field')
    expect(errorOf(() => txFromJSON({ ...json, from: '0x00' })).code).to.equal('WRONG_LENGTH')
    expect(errorOf(() => txFromJSON({ ...json, fee: '1e3' })).code).to.equal('MALFORMED')
    expect(errorOf(() => txFromJSON({ ...json, type: 'nope' })).code).to.equal('UNKNOWN_TYPE')
  })

  it('signs over domain-tagged bytes that start with folio/tx/v1 and the chain id', () => {
    const tx = transfer()
    const fields = expectList(rlpDecode(txSigningBytes(tx)), 'signing', 7)
    expect(new TextDecoder().decode(fields[0] as Uint8Array)).to.equal('folio/tx/v1')
    expect(new TextDecoder().decode(fields[1] as Uint8Array)).to.equal(CHAIN)
    expect(verifyTxSignature(tx)).to.equal(true)
  })

  it('invalidates the signature when any signed field changes', () => {
    const tx = transfer()
    const variants: Tx[] = [
      { ...tx, chainId: 'other-chain' },
      { ...tx, nonce: 1n },
      { ...tx, fee: 1001n },
      { ...tx, from: bob.publicKey },
      { ...tx, body: { ...tx.body, amount: 6n } },
      { ...tx, body: { ...tx.body, to: new Uint8Array(20).fill(0xbc) } }
    ]
    for (const v of variants) expect(verifyTxSignature(v)).to.equal(false)
    const sig = tx.signature.slice()
    sig[10] ^= 1
    expect(verifyTxSignature({ ...tx, signature: sig })).to.equal(false)
  })

  it('gives an id over the signing bytes, independent of the signature', () => {
    const tx = transfer()
    expect(txId(tx)).to.deep.equal(sha256(txSigningBytes(tx)))
    expect(txId({ ...tx, signature: new Uint8Array(64) })).to.deep.equal(txId(tx))
    expect(txId(transfer({ nonce: 1n }))).to.not.deep.equal(txId(tx))
  })

  it('derives the sender address from the public key', () => {
    expect(txSender(transfer())).to.deep.equal(addressFromPublicKey(alice.publicKey))
    expect(txSender(transfer()).length).to.equal(20)
  })

  it('remembers derived bytes per object, never in a copy or in the object\'s visible fields', () => {
    const tx = transfer()
    const id = txId(tx)
    const bytes = encodeTx(tx)
    const sender = txSender(tx)
    // a copy with a changed field derives its own bytes, not the original's remembered ones
    const copy: Tx = { ...tx, nonce: tx.nonce + 1n, from: bob.publicKey }
    expect(txId(copy)).to.not.deep.equal(id)
    expect(encodeTx(copy)).to.not.deep.equal(bytes)
    expect(txSender(copy)).to.deep.equal(addressFromPublicKey(bob.publicKey))
    expect(txId(tx)).to.deep.equal(id)
    // nothing shows in the object's keys, JSON or equality
    expect(Object.keys(tx)).to.deep.equal(Object.keys(transfer()))
    expect(Object.getOwnPropertySymbols(tx).filter(s => Object.prototype.propertyIsEnumerable.call(tx, s))).to.deep.equal([])
    expect(tx).to.deep.equal(transfer())
    // a frozen transaction derives and remembers the same values
    const frozen = Object.freeze(transfer())
    expect(txId(frozen)).to.deep.equal(id)
    expect(encodeTx(frozen)).to.deep.equal(bytes)
    expect(txSender(frozen)).to.deep.equal(sender)
    expect(txId(frozen)).to.equal(txId(frozen))
  })

  it('signTx replaces any existing signature', () => {
    const tx = transfer()
    const withZeroSig: Tx = { ...tx, signature: new Uint8Array(64) }
    const resigned = signTx(withZeroSig, alice.secretKey)
    expect(resigned.signature).to.deep.equal(tx.signature)
  })

  describe('stateless validation', () => {
    it('accepts a good transaction', () => {
      validateTxStateless(transfer(), rules)
    })

    it('rejects the wrong chain', () => {
      expect(errorOf(() => validateTxStateless(transfer({ chainId: 'other' }), rules)).code).to.equal('WRONG_CHAIN')
    })

    it('rejects a bad signature', () => {
      const tx = { ...transfer(), nonce: 9n }
      const e = errorOf(() => validateTxStateless(tx, rules))
      expect(e).to.be.instanceOf(BlockError)
      expect(e.code).to.equal('BAD_SIGNATURE')
    })

    it('skips the signature of a transaction the caller has verified, and only of that one', () => {
      const tx = { ...transfer(), signature: new Uint8Array(64) }
      validateTxStateless(tx, { ...rules, isVerified: t => t === tx })
      const other = { ...tx }
      expect(errorOf(() => validateTxStateless(other, { ...rules, isVerified: t => t === tx })).code).to.equal('BAD_SIGNATURE')
    })

    it('rejects a fee below the minimum and says by how much', () => {
      const tx = transfer({ fee: 10n })
      const size = encodeTx(tx).length
      const e = errorOf(() => validateTxStateless(tx, rules))
      expect(e.code).to.equal('FEE_TOO_LOW')
      expect(e.message).to.equal(`fee 10 below minimum ${100 + size} for a ${size}-byte transaction`)
    })

    it('rejects an oversized transaction', () => {
      const tx = transfer()
      expect(errorOf(() => validateTxStateless(tx, { ...rules, maxTxBytes: encodeTx(tx).length - 1 })).code).to.equal('TOO_LARGE')
    })

    it('rejects unknown types and invalid bodies', () => {
      expect(errorOf(() => validateTxStateless({ ...transfer(), type: 'nope' }, rules)).code).to.equal('UNKNOWN_TX_TYPE')
      const badBody = { ...transfer(), body: { to: new Uint8Array(19), amount: 1n } }
      const e = errorOf(() => validateTxStateless(badBody, rules))
      expect(e.code).to.equal('INVALID_BODY')
      expect(e.message).to.equal('body.to: expected 20 bytes, got 19')
      expect(errorOf(() => validateTxStateless({ ...transfer(), from: new Uint8Array(31) }, rules)).code).to.equal('INVALID_TX')
    })
  })

  describe('strict decoding', () => {
    it('rejects unknown types, bad lengths, non-canonical integers and trailing bytes', () => {
      const tx = transfer({ nonce: 5n })
      const enc = new TextEncoder()
      expect(errorOf(() => decodeTx(withField(tx, 0, enc.encode('nope')))).code).to.equal('UNKNOWN_TYPE')
      expect(errorOf(() => decodeTx(withField(tx, 2, new Uint8Array(31)))).code).to.equal('WRONG_LENGTH')
      expect(errorOf(() => decodeTx(withField(tx, 6, new Uint8Array(63)))).code).to.equal('WRONG_LENGTH')
      expect(errorOf(() => decodeTx(withField(tx, 3, Uint8Array.of(0, 5)))).code).to.equal('NON_CANONICAL')
      expect(errorOf(() => decodeTx(withField(tx, 1, new Uint8Array(0)))).code).to.equal('MALFORMED')
      expect(errorOf(() => decodeTx(withField(tx, 1, Uint8Array.of(0xff, 0xfe)))).code).to.equal('INVALID_UTF8')
      expect(errorOf(() => decodeTx(withField(tx, 1, enc.encode('c'.repeat(65))))).code).to.equal('TOO_LARGE')
      const unicodeChain = transfer({ chainId: 'é'.repeat(64) })
      expect(decodeTx(encodeTx(unicodeChain)).chainId).to.equal('é'.repeat(64))
      expect(errorOf(() => decodeTx(withField(tx, 5, [new Uint8Array(20)]))).code).to.equal('WRONG_LENGTH')
      expect(errorOf(() => decodeTx(new Uint8Array([...encodeTx(tx), 0]))).code).to.equal('TRAILING_BYTES')
      expect(errorOf(() => decodeTx(encodeTx(tx), { maxBytes: 10 })).code).to.equal('TOO_LARGE')
    })

    it('enforces a type\'s own body limit', () => {
      const note = signTx({
        type: 'test.bignote', chainId: CHAIN, from: alice.publicKey, nonce: 0n, fee: 0n, body: { data: new Uint8Array(50) }
      }, alice.secretKey)
      expect(errorOf(() => decodeTx(encodeTx(note))).code).to.equal('TOO_LARGE')
      expect(errorOf(() => validateTxStateless(note, { ...rules, minFee: () => 0n })).code).to.equal('TOO_LARGE')
    })

    it('never throws anything but CodecError on random or mutated bytes', () => {
      const good = encodeTx(transfer())
      fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (noise, pos, byte) => {
        const mutated = good.slice()
        mutated[pos % mutated.length] = byte
        for (const candidate of [noise, mutated, good.subarray(0, pos % good.length)]) {
          try {
            const tx = decodeTx(candidate)
            expect(bytesEqual(encodeTx(tx), candidate)).to.equal(true)
          } catch (err) {
            if (!(err instanceof CodecError)) throw err
          }
        }
      }), { numRuns: 2000 })
    })

    it('decodes the documented example bytes', () => {
      const tx = transfer()
      expect(decodeTx(fromHex(toHex(encodeTx(tx))))).to.deep.equal(tx)
    })
  })
})
