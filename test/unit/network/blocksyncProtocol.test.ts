/**
 * The block-sync wire: strict frame decoding, and the request/response exchange over a pair of
 * in-memory libp2p streams (no sockets) — status both ways, ranges bounded by count and bytes,
 * consensus-message pulls, and refusal of oversized or malformed requests.
 */
import { expect } from 'chai'
import { streamPair } from '@libp2p/utils'
import { packRecord } from '../../../src/codec/index.js'
import type { Commit } from '../../../src/blocks/types.js'
import {
  decodeRequest, encodeRequest, decodeSyncBlock, encodeSyncBlock, decodeBlocksHeader, MAX_SYNC_BATCH
} from '../../../src/network/blocksyncMessages.js'
import { serveBlocksync, requestStatus, requestBlocks, requestConsensusMessages, type BlockSource } from '../../../src/network/blocksyncProtocol.js'
import { NetworkError } from '../../../src/network/errors.js'

const hash = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const commitFor = (h: number): Commit => ({ height: h, round: 0, blockHash: hash(h), signatures: [{ validator: new Uint8Array(20).fill(1), signature: new Uint8Array(64).fill(2) }] })

function source (head: number, blockSize = 100): BlockSource {
  return {
    status: () => ({ chainId: 'c', height: head, hash: hash(head) }),
    blockBytes: async (h) => h <= head ? new Uint8Array(blockSize).fill(h % 256) : undefined,
    commit: async (h) => h <= head ? commitFor(h) : undefined,
    consensusMessages: (h) => h === head + 1 ? [{ kind: 'vote', data: new Uint8Array([1, 2]) }, { kind: 'proposal', data: new Uint8Array([3]) }] : []
  }
}

function throwsMalformed (fn: () => unknown): void {
  expect(fn).to.throw(NetworkError).with.property('code', 'MALFORMED_MESSAGE')
}

describe('network/blocksync protocol', () => {
  it('round-trips requests and block frames', () => {
    expect(decodeRequest(encodeRequest({ t: 'blocks', from: 3, count: 9 }))).to.deep.equal({ t: 'blocks', from: 3, count: 9 })
    expect(decodeRequest(encodeRequest({ t: 'votes', height: 4 }))).to.deep.equal({ t: 'votes', height: 4 })
    const st = { chainId: 'c', height: 7, hash: hash(7) }
    expect(decodeRequest(encodeRequest({ t: 'status', status: st }))).to.deep.equal({ t: 'status', status: st })
    const sb = { height: 5, blockBytes: new Uint8Array([9, 9]), commit: commitFor(5) }
    expect(decodeSyncBlock(encodeSyncBlock(sb), 10)).to.deep.equal(sb)
  })

  it('refuses malformed, oversized and out-of-range frames', () => {
    throwsMalformed(() => decodeRequest(packRecord({ t: 'blocks', from: 1, count: MAX_SYNC_BATCH + 1 })))
    throwsMalformed(() => decodeRequest(packRecord({ t: 'blocks', from: 0, count: 1 })))
    throwsMalformed(() => decodeRequest(packRecord({ t: 'blocks', from: 1, count: 1, extra: true })))
    throwsMalformed(() => decodeRequest(packRecord({ t: 'status', chainId: 'c', height: -1, hash: hash(1) })))
    throwsMalformed(() => decodeRequest(packRecord({ t: 'status', chainId: 'c', height: 1, hash: new Uint8Array(31) })))
    throwsMalformed(() => decodeRequest(new Uint8Array(2000)))
    throwsMalformed(() => decodeBlocksHeader(packRecord({ n: 11 }), 10))
    throwsMalformed(() => decodeSyncBlock(encodeSyncBlock({ height: 1, blockBytes: new Uint8Array(11), commit: commitFor(1) }), 10))
  })

  it('exchanges statuses: the asker learns the server\'s, the server the asker\'s', async () => {
    const [a, b] = await streamPair()
    let heard: number | undefined
    const signal = AbortSignal.timeout(5000)
    const [theirs] = await Promise.all([
      requestStatus(a, { chainId: 'c', height: 2, hash: hash(2) }, signal),
      serveBlocksync(b, source(40), { signal, maxResponseBytes: 1 << 20, onStatus: s => { heard = s.height } })
    ])
    expect(theirs.height).to.equal(40)
    expect(heard).to.equal(2)
  })

  it('serves a range no further than its head and within the byte budget (always at least one block)', async () => {
    const signal = AbortSignal.timeout(5000)
    let [a, b] = await streamPair()
    let [got] = await Promise.all([requestBlocks(a, 38, 10, 1000, 1024, signal), serveBlocksync(b, source(40), { signal, maxResponseBytes: 1 << 20 })])
    expect(got.map(x => x.height)).to.deep.equal([38, 39, 40]);
    [a, b] = await streamPair();
    [got] = await Promise.all([requestBlocks(a, 1, 10, 1000, 1024, signal), serveBlocksync(b, source(40, 400), { signal, maxResponseBytes: 1000 })])
    expect(got.map(x => x.height)).to.deep.equal([1, 2]);
    [a, b] = await streamPair();
    [got] = await Promise.all([requestBlocks(a, 1, 10, 5000, 1024, signal), serveBlocksync(b, source(40, 4000), { signal, maxResponseBytes: 1000 })])
    expect(got.map(x => x.height)).to.deep.equal([1])
  })

  it('refuses a block frame larger than the asker\'s limit', async () => {
    const signal = AbortSignal.timeout(5000)
    const [a, b] = await streamPair()
    const served = serveBlocksync(b, source(40, 5000), { signal, maxResponseBytes: 1 << 20 }).catch(() => {})
    let failed = false
    try {
      await requestBlocks(a, 1, 2, 1000, 200, signal)
    } catch {
      failed = true
      a.abort(new Error('test'))
    }
    await served
    expect(failed).to.equal(true)
  })

  it('serves the consensus messages held for a height', async () => {
    const signal = AbortSignal.timeout(5000)
    const [a, b] = await streamPair()
    const [frames] = await Promise.all([requestConsensusMessages(a, 41, 1000, signal), serveBlocksync(b, source(40), { signal, maxResponseBytes: 1 << 20 })])
    expect(frames.map(f => f.kind)).to.deep.equal(['vote', 'proposal'])
  })
})
