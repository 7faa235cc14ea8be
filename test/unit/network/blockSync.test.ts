/**
 * The sync/consensus state machine over two in-memory chains and a scripted transport: it fetches
 * what peers have, verifies every commit, punishes a peer serving a forged block and takes the
 * block from another, hands over to consensus once caught up, and goes back to sync when a peer
 * reports a head well ahead.
 */
import { expect } from 'chai'
import { MemoryStore, Chain } from '../../../src/state/index.js'
import { devnetGenesis, devnetValidatorKey } from '../../../src/node/devnetKeys.js'
import { BlockSync, type SyncTransport } from '../../../src/network/blockSync.js'
import { readRange } from '../../../src/network/blocksyncProtocol.js'
import { ValidatorSetCache } from '../../../src/network/validators.js'
import type { SyncBlock } from '../../../src/network/blocksyncMessages.js'
import { extendChain } from './chainBuilder.js'

const genesis = devnetGenesis(1)
const key = devnetValidatorKey(0)
const quiet = { debug: () => {}, info: () => {}, warn: () => {} }

async function chainWith (height: number): Promise<Chain> {
  const chain = await Chain.open(new MemoryStore(), genesis)
  await extendChain(chain, key, height)
  return chain
}

function syncer (target: Chain, transport: SyncTransport, events: string[], now?: () => number): BlockSync {
  const valsets = new ValidatorSetCache(h => target.validators(h))
  return new BlockSync({
    chain: {
      chainId: target.chainId,
      maxBlockBytes: target.params.maxBlockBytes,
      headHeight: () => target.head().height,
      headHash: () => target.head().hash,
      validatorSet: h => valsets.at(h),
      commit: async (b, c) => await target.commit(b, c)
    },
    transport,
    consensus: { pause: () => { events.push('pause') }, resume: async () => { events.push(`resume@${target.head().height}`) } },
    options: { syncBatchBlocks: 7, syncParallelRequests: 3, requestTimeoutMs: 2000, lagGraceMs: 50, startupPeerWaitMs: 0 },
    log: quiet,
    now
  })
}

async function until (fn: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not reached')
    await new Promise(resolve => setImmediate(resolve))
  }
}

function servingFrom (source: Chain, corrupt?: (b: SyncBlock) => SyncBlock): SyncTransport['blocks'] {
  const src = { status: () => ({ chainId: source.chainId, height: source.head().height, hash: source.head().hash }), blockBytes: async (h: number) => await source.blocks.blockBytes(h), commit: async (h: number) => await source.blocks.commit(h), consensusMessages: () => [] }
  return async (_peer, from, count) => (await readRange(src, from, count, 1 << 20)).map(b => corrupt?.(b) ?? b)
}

describe('network/BlockSync', () => {
  it('fetches from several peers, refuses a forged block, and hands over to consensus', async () => {
    const source = await chainWith(60)
    const target = await Chain.open(new MemoryStore(), genesis)
    const events: string[] = []
    const penalties: string[] = []
    const honest = servingFrom(source)
    // every commit it serves carries a zeroed signature
    const forger = servingFrom(source, b => ({ ...b, commit: { ...b.commit, signatures: b.commit.signatures.map(s => ({ ...s, signature: new Uint8Array(64) })) } }))
    const sync = syncer(target, {
      status: async () => ({ chainId: source.chainId, height: 60, hash: source.head().hash }),
      blocks: async (peer, from, count, signal) => await (peer === 'bad' ? forger : honest)(peer, from, count, signal),
      penalize: (peer, _points, reason) => { penalties.push(`${peer}: ${reason}`) },
      consensusMessages: async () => {}
    }, events)
    sync.start()
    sync.addPeer('good')
    sync.addPeer('bad')
    await until(() => events.includes('resume@60'))
    expect(target.head().height).to.equal(60)
    expect(target.head().hash).to.deep.equal(source.head().hash)
    expect(sync.mode).to.equal('consensus')
    // with two idle peers the second range goes to the forger, whose block is refused and re-fetched
    expect(penalties.length).to.be.greaterThan(0)
    expect(penalties.every(p => p.startsWith('bad:') && p.includes('does not verify'))).to.equal(true)
    sync.stop()
  })

  it('returns to sync when a peer reports a head two blocks ahead, then resumes consensus', async () => {
    const source = await chainWith(10)
    const target = await Chain.open(new MemoryStore(), genesis)
    await extendChain(target, key, 5)
    const events: string[] = []
    let peerHeight = 5
    const sync = syncer(target, {
      status: async () => ({ chainId: source.chainId, height: peerHeight, hash: source.head().hash }),
      blocks: servingFrom(source),
      penalize: () => {},
      consensusMessages: async () => {}
    }, events)
    sync.start()
    sync.addPeer('p')
    await until(() => events.includes('resume@5'))
    peerHeight = 10
    sync.pollAll()
    await until(() => events.includes('resume@10'))
    expect(events).to.deep.equal(['resume@5', 'pause', 'resume@10'])
    sync.stop()
  })

  it('pulls the open height\'s votes from peers at our height once the head has stood still for lagGraceMs', async () => {
    const target = await chainWith(5)
    const events: string[] = []
    const pulls: string[] = []
    let answered = 0
    let clock = 1_000
    const sync = syncer(target, {
      status: async (peer) => {
        answered++
        return { chainId: target.chainId, height: peer === 'behind' ? 3 : 5, hash: target.head().hash }
      },
      blocks: async () => [],
      penalize: () => {},
      consensusMessages: async (peer, height) => { pulls.push(`${peer}@${height}`) }
    }, events, () => clock)
    sync.start()
    sync.addPeer('level')
    sync.addPeer('behind')
    await until(() => answered === 2 && events.includes('resume@5'))
    await new Promise(resolve => setImmediate(resolve))
    pulls.length = 0 // joining consensus asks once; what follows is the stall check alone
    sync.checkStall() // the head is new to it: nothing to pull yet
    clock += 49
    sync.checkStall()
    expect(pulls).to.deep.equal([])
    clock += 1
    sync.checkStall()
    // only the peer at our height holds the open height's messages
    expect(pulls).to.deep.equal(['level@6'])
    sync.stop()
  })

  it('ignores a peer of another chain and penalises it', async () => {
    const target = await Chain.open(new MemoryStore(), genesis)
    const events: string[] = []
    const penalties: string[] = []
    const sync = syncer(target, {
      status: async () => ({ chainId: 'other-chain', height: 99, hash: new Uint8Array(32) }),
      blocks: async () => [],
      penalize: (peer) => { penalties.push(peer) },
      consensusMessages: async () => {}
    }, events)
    sync.start()
    sync.addPeer('foreign')
    await until(() => penalties.length > 0 && events.length > 0)
    expect(sync.bestPeerHeight()).to.equal(0)
    expect(events).to.deep.equal(['resume@0'])
    sync.stop()
  })
})
