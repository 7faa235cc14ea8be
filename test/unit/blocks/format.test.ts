/**
 * Golden vectors: the worked example of docs/format.md, recomputed from the code. A change to any
 * byte format breaks this test, and the test also checks the document still shows those bytes.
 */
import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { fromHex, toHex } from '../../../src/codec/hex.js'
import { ed25519FromSeed } from '../../../src/crypto/index.js'
import {
  ZERO_HASH, blockHash, decodeBlock, decodeTx, encodeBlock, encodeHeader, encodeTx, signTx, txId, txRootOf, txSigningBytes, txToJSON
} from '../../../src/blocks/index.js'
import type { Header } from '../../../src/blocks/index.js'

const TX_HEX = '0xf897887472616e736665728c666f6c696f2d746573742d31a08a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c808203e8d994bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb830f4240b840ca6843cc0fb2fc9af606e528d2ddbeb27527673fec81db99ae483796e43f522f6f9bc4c9b0b22f4ca5b79fff07fd27001600f5c9d80c43d166c6f590d1867b06'
const TX_ID = '0x95dd02b700c8cde055f17951c03da38c28589b86f317c18349700bc375a97496'
const TX_ROOT = '0xc23b2c28645ed49a7b7969b8516be29617e1b42706b10925809d8ddf9d1c79f4'
const BLOCK_HASH = '0xd61760a1545084dc29141d6f5e6b3a090d76263abe14d81245f0a95091a2c18d'

const key = ed25519FromSeed(new Uint8Array(32).fill(1))
const tx = signTx({
  type: 'transfer',
  chainId: 'folio-test-1',
  from: key.publicKey,
  nonce: 0n,
  fee: 1000n,
  body: { to: fromHex('0x' + 'bb'.repeat(20)), amount: 1_000_000n }
}, key.secretKey)

const header: Header = {
  chainId: 'folio-test-1',
  height: 1,
  time: 1_700_000_000_000,
  prevHash: ZERO_HASH,
  txRoot: txRootOf([tx]),
  stateRoot: new Uint8Array(32).fill(0x33),
  validatorsHash: new Uint8Array(32).fill(0x44),
  proposer: new Uint8Array(20).fill(0x55),
  lastCommitHash: ZERO_HASH
}

const doc = readFileSync(new URL('../../../docs/format.md', import.meta.url), 'utf8')

describe('docs/format.md worked example', () => {
  it('encodes, signs and identifies the transfer exactly as documented', () => {
    expect(toHex(encodeTx(tx))).to.equal(TX_HEX)
    expect(toHex(txId(tx))).to.equal(TX_ID)
    expect(decodeTx(fromHex(TX_HEX))).to.deep.equal(tx)
    expect(toHex(txSigningBytes(tx)).startsWith('0xf8618b666f6c696f2f74782f7631')).to.equal(true)
  })

  it('builds the documented header and block', () => {
    expect(toHex(header.txRoot)).to.equal(TX_ROOT)
    expect(toHex(blockHash(header))).to.equal(BLOCK_HASH)
    const block = { header, txs: [tx], lastCommit: null }
    const bytes = encodeBlock(block)
    expect(toHex(bytes)).to.equal('0xf9016d' + toHex(encodeHeader(header)).slice(2) + 'f899' + TX_HEX.slice(2) + 'c0')
    expect(decodeBlock(bytes)).to.deep.equal(block)
  })

  it('is what the document shows', () => {
    for (const value of [TX_HEX, TX_ID, TX_ROOT, BLOCK_HASH, toHex(encodeHeader(header)), toHex(encodeBlock({ header, txs: [tx], lastCommit: null }))]) {
      expect(doc, value).to.contain(value)
    }
    const json = txToJSON(tx)
    expect(doc).to.contain(`"signature": "${json.signature}"`)
    expect(doc).to.contain(`"from": "${json.from}"`)
  })
})
