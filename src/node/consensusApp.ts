/**
 * The consensus engine's view of the application: build a block from the mempool, check a
 * proposed block, commit a decided one. The engine stays free of storage and networking; this
 * adapter is where the chain, the mempool and the validator set meet it.
 */
import type { Block, Commit, Header } from '../blocks/types.js'
import { blockHash, decodeBlock, encodeBlock, merkleRoot, validateBlockStateless, commitHash } from '../blocks/index.js'
import { bytesEqual, toHex } from '../codec/index.js'
import { minFee, type Chain } from '../state/index.js'
import { ZERO_HASH } from '../state/index.js'
import type { Mempool } from '../mempool/index.js'
import { ValidatorSet, verifyCommit, type ConsensusApp, type ProposedBlock } from '../consensus/index.js'
import { errorMessage } from '../errors.js'
import { sha256 } from '../crypto/index.js'
import { txSender } from '../blocks/index.js'
import type { Logger } from './logger.js'

/** Bytes kept free in a block for its header and commit. */
const BLOCK_OVERHEAD = 64 * 1024
/**
 * A proposer's own cap, below the chain's validity limits: every validator executes a proposal
 * before it prevotes, and a block of tens of thousands of transactions would hold each node's
 * event loop for seconds, long enough to time rounds out on a busy machine.
 */
export const DEFAULT_MAX_PROPOSAL_TXS = 2_000
export const DEFAULT_MAX_PROPOSAL_BYTES = 2 * 1024 * 1024
/** A proposed block's time may run ahead of this node's clock by at most this much. */
const MAX_CLOCK_DRIFT_MS = 10_000

export interface ConsensusAppDeps {
  chain: Chain
  mempool: Mempool
  /** This validator's consensus address (20 bytes), or null for a non-validating node. */
  address: Uint8Array | null
  log: Logger
  now?: () => number
  maxProposalTxs?: number
  maxProposalBytes?: number
}

export class NodeConsensusApp implements ConsensusApp {
  private readonly cachedSets = new Map<number, ValidatorSet>()

  constructor (private readonly deps: ConsensusAppDeps) {}

  /**
   * The set deciding `height`, with CometBFT proposer priorities. Committed state carries each
   * height's membership, power and priority base (docs/staking.md), so this is O(validators) for
   * any height and a restarted node derives exactly the priorities of one that never stopped.
   */
  validatorSet (height: number): ValidatorSet {
    const hit = this.cachedSets.get(height)
    if (hit !== undefined) return hit
    const infos = this.deps.chain.validators(height)
    const set = new ValidatorSet(infos.map(v => ({
      address: v.address, publicKey: v.publicKey, power: v.power, proposerPriority: v.proposerPriority
    }))).incrementProposerPriority(1)
    // a height past head + 2 has no record yet (its set is a guess): never cache a guess
    if (height > this.deps.chain.head().height + 2) return set
    // heights h - 1 and h alternate while validating a block; a few entries cover them
    if (this.cachedSets.size >= 4) this.cachedSets.delete(this.cachedSets.keys().next().value as number)
    this.cachedSets.set(height, set)
    return set
  }

  /**
   * The same block bytes reach validateBlock and commitBlock (and our own proposals come from
   * proposeBlock): decode them once, so the transactions keep their memoized ids and encodings.
   */
  private readonly decoded = new Map<string, Block>()

  private decode (bytes: Uint8Array): Block {
    const key = toHex(sha256(bytes))
    let block = this.decoded.get(key)
    if (block === undefined) {
      block = decodeBlock(bytes, { maxBytes: this.deps.chain.params.maxBlockBytes })
      if (this.decoded.size >= 8) this.decoded.delete(this.decoded.keys().next().value as string)
      this.decoded.set(key, block)
    }
    return block
  }

  hasPendingWork (): boolean {
    // evidence travels as transactions (evidence.submit), so the pool holds all a block carries
    return this.deps.mempool.size > 0
  }

  async proposeBlock (height: number, _round: number, lastCommit: Commit | null): Promise<ProposedBlock> {
    const { chain, mempool } = this.deps
    const head = chain.head()
    if (this.deps.address === null) throw new Error('a non-validating node cannot propose')
    const started = performance.now()
    const params = chain.params
    const maxBytes = Math.min(params.maxBlockBytes - BLOCK_OVERHEAD, this.deps.maxProposalBytes ?? DEFAULT_MAX_PROPOSAL_BYTES)
    const maxTxs = Math.min(params.maxBlockTxs, this.deps.maxProposalTxs ?? DEFAULT_MAX_PROPOSAL_TXS)
    const picked = mempool.select(maxBytes, maxTxs)
    const now = this.deps.now?.() ?? Date.now()
    const header: Header = {
      chainId: chain.chainId,
      height,
      time: Math.max(now, head.time),
      prevHash: head.hash,
      txRoot: merkleRoot(picked.map(p => p.id)),
      stateRoot: head.stateRoot,
      validatorsHash: this.validatorSet(height).hash(),
      proposer: this.deps.address,
      lastCommitHash: lastCommit === null ? ZERO_HASH : commitHash(lastCommit)
    }
    const block: Block = { header, txs: picked.map(p => p.tx), lastCommit }
    const bytes = encodeBlock(block)
    this.decoded.set(toHex(sha256(bytes)), block)
    // The block goes out before it has executed here: the pool admitted each transaction against
    // committed state and re-checked it after the last block, so it executes — on every validator,
    // this one included (validateBlock waits for it) — while it travels. Should a transaction have
    // gone stale after all, this validator prevotes nil like the others and the pool drops it.
    chain.prepare(block).catch(async (err) => {
      this.deps.log.warn({ height, err: errorMessage(err) }, 'our own proposal did not execute; re-checking the pool')
      await mempool.recheck([], picked.map(p => txSender(p.tx)))
    }).catch(() => {})
    this.deps.log.debug({ height, txs: picked.length, bytes: bytes.length, ms: Math.round(performance.now() - started) }, 'proposing block')
    return { hash: blockHash(header), bytes }
  }

  async validateBlock (height: number, bytes: Uint8Array): Promise<Uint8Array | null> {
    const { chain, mempool } = this.deps
    const started = performance.now()
    try {
      const params = chain.params
      const block = this.decode(bytes)
      const head = chain.head()
      validateBlockStateless(block, {
        chainId: chain.chainId,
        expectedHeight: height,
        prevHash: head.hash,
        maxBlockBytes: params.maxBlockBytes,
        maxTxs: params.maxBlockTxs,
        minFee: (n: number) => minFee(params, n),
        maxTxBytes: params.maxTxBytes,
        encodedSize: bytes.length,
        // signatures already checked by this node (pool admission or gossip) are not checked again
        isVerified: tx => mempool.verified(tx)
      })
      const h = block.header
      if (!bytesEqual(h.validatorsHash, this.validatorSet(height).hash())) throw new Error('validators hash does not match the validator set')
      if (h.time > (this.deps.now?.() ?? Date.now()) + MAX_CLOCK_DRIFT_MS) throw new Error(`block time ${h.time} is too far in the future`)
      if (height > 1) {
        if (block.lastCommit === null) throw new Error('block lacks the commit of the previous block')
        if (block.lastCommit.height !== height - 1 || !bytesEqual(block.lastCommit.blockHash, head.hash)) throw new Error('last commit is not for the previous block')
        verifyCommit(chain.chainId, this.validatorSet(height - 1), block.lastCommit)
      }
      await chain.prepare(block)
      this.deps.log.debug({ height, txs: block.txs.length, ms: Math.round(performance.now() - started) }, 'validated proposed block')
      return blockHash(h)
    } catch (err) {
      this.deps.log.warn({ height, err: errorMessage(err) }, 'rejected proposed block')
      return null
    }
  }

  async commitBlock (height: number, bytes: Uint8Array, commit: Commit): Promise<void> {
    const { chain, mempool } = this.deps
    const started = performance.now()
    const block = this.decode(bytes)
    const committed = await chain.commit(block, commit, bytes)
    await mempool.recheck(committed.executed.map(e => e.id), committed.executed.map(e => e.sender))
    this.deps.log.debug({ height, hash: toHex(committed.hash), txs: block.txs.length, ms: Math.round(performance.now() - started), pending: mempool.size }, 'committed block')
  }
}
