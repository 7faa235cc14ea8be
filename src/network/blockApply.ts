/**
 * Verifying and applying a block fetched by block sync (MISSION.md §5): the block must decode,
 * be for this chain and the expected height, and come with a commit carrying more than 2/3 of
 * the voting power of that height's validator set for exactly this block hash. Only then is it
 * handed to the chain, which checks that it extends the head and executes it.
 */
import { decodeBlock, blockHash } from '../blocks/index.js'
import type { Block, Commit } from '../blocks/types.js'
import { verifyCommit, type ValidatorSet } from '../consensus/index.js'
import { errorMessage } from '../errors.js'
import { NetworkError } from './errors.js'
import type { SyncBlock } from './blocksyncMessages.js'

export interface SyncChain {
  chainId: string
  maxBlockBytes: number
  headHeight: () => number
  validatorSet: (height: number) => ValidatorSet
  commit: (block: Block, commit: Commit) => Promise<unknown>
}

/** Checks everything that can be checked without state; returns the decoded block. */
export function verifySyncBlock (chain: SyncChain, sb: SyncBlock): Block {
  let block: Block
  try {
    block = decodeBlock(sb.blockBytes, { maxBytes: chain.maxBlockBytes })
  } catch (err) {
    throw new NetworkError('INVALID_BLOCK', `block ${sb.height} does not decode: ${errorMessage(err)}`)
  }
  const h = block.header
  if (h.chainId !== chain.chainId) throw new NetworkError('INVALID_BLOCK', `block ${sb.height} is for chain ${h.chainId}`)
  if (h.height !== sb.height) throw new NetworkError('INVALID_BLOCK', `frame for height ${sb.height} carries block ${h.height}`)
  try {
    verifyCommit(chain.chainId, chain.validatorSet(sb.height), sb.commit, { height: sb.height, blockHash: blockHash(h) })
  } catch (err) {
    throw new NetworkError('INVALID_BLOCK', `commit of block ${sb.height} does not verify: ${errorMessage(err)}`)
  }
  return block
}

/**
 * Verifies and commits `sb`. Returns false, blaming no one, when the head already moved past it
 * (consensus committed it first); throws NetworkError INVALID_BLOCK when the peer is at fault.
 */
export async function applySyncBlock (chain: SyncChain, sb: SyncBlock): Promise<boolean> {
  if (sb.height <= chain.headHeight()) return false
  if (sb.height !== chain.headHeight() + 1) throw new NetworkError('PROTOCOL', `block ${sb.height} does not follow head ${chain.headHeight()}`)
  const block = verifySyncBlock(chain, sb)
  try {
    await chain.commit(block, sb.commit)
  } catch (err) {
    // a commit already queued by a consensus engine that was just paused can win the race
    if (chain.headHeight() >= sb.height) return false
    throw new NetworkError('INVALID_BLOCK', `block ${sb.height} does not apply: ${errorMessage(err)}`)
  }
  return true
}
