import { expect } from 'chai'
import fc from 'fast-check'
import { CodecError } from '../../../src/codec/errors.js'
import { bytesEqual, toHex } from '../../../src/codec/hex.js'
import { expectList, rlpDecode, rlpEncode } from '../../../src/codec/rlp.js'
import { ed25519Sign } from '../../../src/crypto/index.js'
import {
  ZERO_HASH, blockHash, blockToJSON, commitHash, decodeBlock, decodeHeader, encodeBlock, encodeHeader, encodeTx, headerFromJSON,
  headerToJSON, merkleRoot, txId, txRootOf, validateBlockStateless
} from '../../../src/blocks/index.js'
import type { Block, BlockRules, Commit, Header, Tx } from '../../../src/blocks/index.js'
import { CHAIN, alice, bob, rules as txRules, transfer, errorOf } from './fixtures.js'


function header (over: Partial<Header> = {}): Header {
  return {
    chainId: CHAIN,
    height: 1,
    time: 1_700_000_000_000,
    prevHash: ZERO_HASH,
    txRoot: merkleRoot([]),
    stateRoot: new Uint8Array(32).fill(3),
    validatorsHash: new Uint8Array(32).fill(4),
    proposer: new Uint8Array(20).fill(5),
    lastCommitHash: ZERO_HASH,
    ...over
  }
}

function firstBlock (txs: Tx[]): Block {
  return { header: header({ txRoot: txRootOf(txs) }), txs, lastCommit: null }
}

const prevHash = blockHash(header())
const commit: Commit = {
  height: 1,
  round: 0,
  blockHash: prevHash,
  signatures: [{ validator: new Uint8Array(20).fill(9), signature: ed25519Sign(bob.secretKey, prevHash) }]
}

function secondBlock (txs: Tx[]): Block {
  return {
    header: header({ height: 2, prevHash, txRoot: txRootOf(txs), lastCommitHash: commitHash(commit) }),
    txs,
    lastCommit: commit
  }
}

const rules: BlockRules = { ...txRules, maxBlockBytes: 64 * 1024, maxTxs: 100 }
const twoTxs = [transfer({ nonce: 0n }), transfer({ nonce: 1n, key: bob })]

describe('blocks/header', () => {
  it('round-trips and hashes the canonical bytes', () => {
    const h = header({ height: 7, time: 123 })
    expect(decodeHeader(encodeHeader(h))).to.deep.equal(h)
    expect(headerFromJSON(JSON.parse(JSON.stringify(headerToJSON(h))))).to.deep.equal(h)
    expect(blockHash(h)).to.not.deep.equal(blockHash({ ...h, time: 124 }))
    expect(blockHash({ ...h, extra: 1 } as Header)).to.deep.equal(blockHash(h))
  })

  it('rejects wrong field lengths', () => {
    const items = expectList(rlpDecode(encodeHeader(header())), 'header').slice()
    items[7] = new Uint8Array(32)
    const e = errorOf(() => decodeHeader(rlpEncode(items)))
    expect(e.code).to.equal('WRONG_LENGTH')
    expect(e.message).to.contain('header.proposer')
  })
})

describe('blocks/block', () => {
  it('round-trips a first block without a commit and a later block with one', () => {
    for (const block of [firstBlock(twoTxs), secondBlock(twoTxs), firstBlock([])]) {
      const bytes = encodeBlock(block)
      const back = decodeBlock(bytes)
      expect(back).to.deep.equal(block)
      expect(bytesEqual(encodeBlock(back), bytes)).to.equal(true)
    }
  })

  it('embeds each transaction as its own encoding', () => {
    const items = expectList(rlpDecode(encodeBlock(firstBlock(twoTxs))), 'block')
    const txs = expectList(items[1], 'txs')
    expect(rlpEncode(txs[0])).to.deep.equal(encodeTx(twoTxs[0]))
  })

  it('keeps each decoded transaction\'s bytes as they arrived, so nothing is encoded again', () => {
    const bytes = encodeBlock(secondBlock(twoTxs))
    const back = decodeBlock(bytes)
    back.txs.forEach((tx, i) => {
      expect(encodeTx(tx).buffer, 'a view into the block bytes').to.equal(bytes.buffer)
      expect(toHex(encodeTx(tx))).to.equal(toHex(encodeTx(twoTxs[i])))
      expect(toHex(txId(tx))).to.equal(toHex(txId(twoTxs[i])))
    })
  })

  it('accepts valid blocks', () => {
    validateBlockStateless(firstBlock(twoTxs), { ...rules, expectedHeight: 1 })
    validateBlockStateless(secondBlock(twoTxs), { ...rules, expectedHeight: 2, prevHash })
  })

  it('rejects the wrong chain, height and previous hash', () => {
    const wrongChain = { ...firstBlock([]), header: header({ chainId: 'other' }) }
    expect(errorOf(() => validateBlockStateless(wrongChain, rules)).code).to.equal('WRONG_CHAIN')
    expect(errorOf(() => validateBlockStateless(firstBlock([]), { ...rules, expectedHeight: 2 })).code).to.equal('INVALID_HEADER')
    expect(errorOf(() => validateBlockStateless(secondBlock([]), { ...rules, prevHash: new Uint8Array(32).fill(1) })).code).to.equal('INVALID_HEADER')
    const badGenesisLink = { ...firstBlock([]), header: header({ prevHash: new Uint8Array(32).fill(1) }) }
    expect(errorOf(() => validateBlockStateless(badGenesisLink, rules)).code).to.equal('INVALID_HEADER')
    const zeroHeight = { ...firstBlock([]), header: header({ height: 0 }) }
    expect(errorOf(() => validateBlockStateless(zeroHeight, rules)).code).to.equal('INVALID_HEADER')
  })

  it('binds the last commit to the header', () => {
    const b = secondBlock([])
    const noCommit = { ...b, lastCommit: null }
    expect(errorOf(() => validateBlockStateless(noCommit, rules)).code).to.equal('INVALID_BLOCK')
    const otherCommit = { ...b, lastCommit: { ...commit, round: 1 } }
    expect(errorOf(() => validateBlockStateless(otherCommit, rules)).code).to.equal('LAST_COMMIT_MISMATCH')
    const wrongHeight = { ...b, lastCommit: { ...commit, height: 5 } }
    expect(errorOf(() => validateBlockStateless(wrongHeight, rules)).code).to.equal('INVALID_BLOCK')
    const commitAtOne = { ...firstBlock([]), lastCommit: commit }
    expect(errorOf(() => validateBlockStateless(commitAtOne, rules)).code).to.equal('INVALID_BLOCK')
    const forOtherBlock = { ...b, lastCommit: { ...commit, blockHash: new Uint8Array(32) } }
    expect(errorOf(() => validateBlockStateless(forOtherBlock, { ...rules, prevHash })).code).to.equal('INVALID_BLOCK')
  })

  it('rejects a wrong tx root', () => {
    const b = firstBlock(twoTxs)
    const swapped = { ...b, txs: [twoTxs[1], twoTxs[0]] }
    expect(errorOf(() => validateBlockStateless(swapped, rules)).code).to.equal('TX_ROOT_MISMATCH')
    const dropped = { ...b, txs: [twoTxs[0]] }
    expect(errorOf(() => validateBlockStateless(dropped, rules)).code).to.equal('TX_ROOT_MISMATCH')
  })

  it('rejects a duplicate transaction, even with a different signature', () => {
    const tx = twoTxs[0]
    expect(errorOf(() => validateBlockStateless(firstBlock([tx, tx]), rules)).code).to.equal('DUPLICATE_TX')
    const resigned = { ...tx, signature: new Uint8Array(64).fill(1) }
    expect(errorOf(() => validateBlockStateless(firstBlock([tx, resigned]), rules)).code).to.equal('DUPLICATE_TX')
  })

  it('enforces transaction count and block size limits', () => {
    expect(errorOf(() => validateBlockStateless(firstBlock(twoTxs), { ...rules, maxTxs: 1 })).code).to.equal('TOO_MANY_TXS')
    const size = encodeBlock(firstBlock(twoTxs)).length
    expect(errorOf(() => validateBlockStateless(firstBlock(twoTxs), { ...rules, maxBlockBytes: size - 1 })).code).to.equal('TOO_LARGE')
    expect(errorOf(() => decodeBlock(encodeBlock(firstBlock(twoTxs)), { maxBytes: size - 1 })).code).to.equal('TOO_LARGE')
    // a caller that decoded the block passes the size of the bytes it holds; the limit applies to it
    expect(errorOf(() => validateBlockStateless(firstBlock(twoTxs), { ...rules, maxBlockBytes: size - 1, encodedSize: size })).code).to.equal('TOO_LARGE')
    validateBlockStateless(firstBlock(twoTxs), { ...rules, maxBlockBytes: size, encodedSize: size })
  })

  it('applies every transaction rule and names the failing transaction', () => {
    const forged = { ...transfer({ nonce: 2n }), fee: 5000n }
    const e = errorOf(() => validateBlockStateless(firstBlock([twoTxs[0], forged]), rules))
    expect(e.code).to.equal('BAD_SIGNATURE')
    expect(e.message).to.match(/^transaction 1 \(0x[0-9a-f]{64}\): /)
    const cheap = transfer({ fee: 1n })
    expect(errorOf(() => validateBlockStateless(firstBlock([cheap]), rules)).code).to.equal('FEE_TOO_LOW')
    const otherChain = transfer({ chainId: 'other' })
    expect(errorOf(() => validateBlockStateless(firstBlock([otherChain]), rules)).code).to.equal('WRONG_CHAIN')
  })

  it('names the failing transaction when decoding', () => {
    const bytes = encodeBlock(firstBlock(twoTxs))
    const items = expectList(rlpDecode(bytes), 'block').slice()
    const txs = expectList(items[1], 'txs').slice()
    const tx1 = expectList(txs[1], 'tx').slice()
    tx1[0] = new TextEncoder().encode('nope')
    txs[1] = tx1
    items[1] = txs
    const e = errorOf(() => decodeBlock(rlpEncode(items)))
    expect(e.code).to.equal('UNKNOWN_TYPE')
    expect(e.message).to.match(/^transaction 1: /)
  })

  it('shows blocks as JSON for the RPC', () => {
    const b = secondBlock(twoTxs)
    const json = blockToJSON(b)
    expect(json.hash).to.equal(toHex(blockHash(b.header)))
    expect(json.txs.map(t => t.id)).to.deep.equal(twoTxs.map(t => toHex(txId(t))))
    expect(json.txs[1].from).to.equal(toHex(bob.publicKey))
    expect(json.lastCommit?.blockHash).to.equal(toHex(prevHash))
    expect((json.header as Record<string, unknown>).height).to.equal(2)
    expect(JSON.parse(JSON.stringify(json))).to.deep.equal(json)
    expect(blockToJSON(firstBlock([])).lastCommit).to.equal(null)
  })

  it('never throws anything but CodecError on random or mutated bytes', () => {
    const good = encodeBlock(secondBlock([transfer({ key: alice })]))
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (noise, pos, byte) => {
      const mutated = good.slice()
      mutated[pos % mutated.length] = byte
      for (const candidate of [noise, mutated, good.subarray(0, pos % good.length)]) {
        try {
          const block = decodeBlock(candidate)
          expect(bytesEqual(encodeBlock(block), candidate)).to.equal(true)
        } catch (err) {
          if (!(err instanceof CodecError)) throw err
        }
      }
    }), { numRuns: 1500 })
  })
})
