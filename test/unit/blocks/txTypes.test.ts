import { expect } from 'chai'
import { bytes, string, struct, uint } from '../../../src/codec/schema.js'
import { CodecError } from '../../../src/codec/errors.js'
import { BlockError } from '../../../src/blocks/errors.js'
import { TransferBody, knownTxTypes, registerTxType, txBodySchema } from '../../../src/blocks/txTypes.js'

function codeOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err instanceof CodecError || err instanceof BlockError, String(err)).to.equal(true)
    return (err as CodecError).code
  }
  throw new Error('expected an error')
}

describe('blocks/txTypes', () => {
  it('has transfer registered with a 20-byte address and an amount', () => {
    expect(knownTxTypes()).to.include('transfer')
    expect(txBodySchema('transfer')).to.equal(TransferBody)
    const body = { to: new Uint8Array(20).fill(7), amount: 99n }
    expect(TransferBody.fromBytes(TransferBody.toBytes(body))).to.deep.equal(body)
  })

  it('throws UNKNOWN_TYPE for an unregistered type', () => {
    expect(codeOf(() => txBodySchema('no.such.type'))).to.equal('UNKNOWN_TYPE')
  })

  it('is open to registration from other modules', () => {
    const Note = struct({ text: string({ max: 20 }) })
    registerTxType('test.note', Note, { maxBytes: 40 })
    registerTxType('test.note', Note, { maxBytes: 40 })
    expect(knownTxTypes()).to.include('test.note')
    expect(txBodySchema('test.note')).to.equal(Note)
  })

  it('refuses a second schema under one name, bad names and non-struct bodies', () => {
    expect(codeOf(() => registerTxType('transfer', struct({ to: bytes({ len: 20 }), amount: uint() })))).to.equal('INVALID_TX_TYPE')
    expect(codeOf(() => registerTxType('Bad Name', struct({})))).to.equal('INVALID_TX_TYPE')
    expect(codeOf(() => registerTxType('x'.repeat(33), struct({})))).to.equal('INVALID_TX_TYPE')
    expect(codeOf(() => registerTxType('test.raw', uint()))).to.equal('INVALID_TX_TYPE')
  })
})
