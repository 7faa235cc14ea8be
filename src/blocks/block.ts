/**
 * Blocks: canonical bytes, the JSON shown by the RPC, and the rules a block must meet before any
 * state is consulted. Layout (docs/format.md):
 *
 *   block = RLP([header, [tx, ...], lastCommit | []])
 *
 * Transactions are embedded as their own RLP lists, so a transaction's bytes inside a block are
 * exactly its standalone encoding. The commit encoding belongs to consensusMessages.ts; an absent
 * commit (height 1) is the empty list, which no commit (always four items) can be mistaken for.
 */
import { CodecError } from '../codec/errors.js'
import { bytesEqual, toHex } from '../codec/hex.js'
import { expectList, rlpDecode, rlpEncode, rlpListElements } from '../codec/rlp.js'
import type { RlpItem } from '../codec/rlp.js'
import type { Json } from '../codec/schema.js'
import { commitHash, decodeCommit, encodeCommit } from './consensusMessages.js'
import { BlockError } from './errors.js'
import { ZERO_HASH, blockHash, headerFromRlp, headerToJSON, headerToRlp } from './header.js'
import { merkleRoot } from './merkle.js'
import { txFromWire, txId, txToJSON, txToRlpMemo, validateTxStateless } from './tx.js'
import type { TxJson, TxRules } from './tx.js'
import type { Block, Commit } from './types.js'

/** Refuses absurd inputs before decoding when the caller gives no tighter limit. */
export const DEFAULT_MAX_BLOCK_BYTES = 16 << 20

export function blockToRlp (block: Block): RlpItem {
  return [
    headerToRlp(block.header),
    block.txs.map(txToRlpMemo),
    block.lastCommit === null ? [] : encodeCommit(block.lastCommit)
  ]
}

export function encodeBlock (block: Block): Uint8Array {
  return rlpEncode(blockToRlp(block))
}

/**
 * Strict decoder; throws only CodecError, naming the transaction that failed. Like `decodeTx`, it
 * keeps each transaction's encoding as a view into `bytes`, which the caller must not change after.
 */
export function decodeBlock (bytes: Uint8Array, opts: { maxBytes?: number } = {}): Block {
  const [header, txs, commit] = expectList(rlpDecode(bytes, opts.maxBytes ?? DEFAULT_MAX_BLOCK_BYTES), 'block', 3)
  const txItems = expectList(txs, 'block transactions')
  // each transaction keeps the bytes it arrived as (the decode above proved them canonical): its
  // id, size and signing bytes are read from them rather than encoded again from its fields
  const txEncodings = rlpListElements(rlpListElements(bytes)[1])
  return {
    header: headerFromRlp(header),
    txs: txItems.map((item, i) => {
      try {
        return txFromWire(item, txEncodings[i])
      } catch (err) {
        if (err instanceof CodecError) throw new CodecError(err.code, `transaction ${i}: ${err.message}`, err.meta)
        throw err
      }
    }),
    lastCommit: expectList(commit, 'block last commit').length === 0 ? null : decodeCommit(commit)
  }
}

export interface BlockRules extends TxRules {
  /** The height the caller expects this block at (the next height of its chain). */
  expectedHeight?: number
  /** Hash of the block at height - 1, when the caller knows it. */
  prevHash?: Uint8Array
  maxBlockBytes: number
  maxTxs: number
  /**
   * The length of the block's bytes, when the caller decoded it from them: a strict decode proves
   * them canonical, so this is the size the limit applies to, and the block is not encoded again.
   */
  encodedSize?: number
}

function checkHeader (block: Block, rules: BlockRules): void {
  const h = block.header
  // Rule: a block belongs to one chain.
  if (h.chainId !== rules.chainId) {
    throw new BlockError('WRONG_CHAIN', `block is for chain "${h.chainId}", this chain is "${rules.chainId}"`)
  }
  // Rule: heights start at 1 and follow the chain.
  if (!Number.isSafeInteger(h.height) || h.height < 1) throw new BlockError('INVALID_HEADER', `block height ${h.height} is not a positive integer`)
  if (rules.expectedHeight !== undefined && h.height !== rules.expectedHeight) {
    throw new BlockError('INVALID_HEADER', `block height ${h.height} where ${rules.expectedHeight} was expected`)
  }
  // Rule: prevHash links to the previous block (all zero at height 1).
  const expectedPrev = h.height === 1 ? ZERO_HASH : rules.prevHash
  if (expectedPrev !== undefined && !bytesEqual(h.prevHash, expectedPrev)) {
    throw new BlockError('INVALID_HEADER', `prevHash ${toHex(h.prevHash)} does not match the previous block ${toHex(expectedPrev)}`)
  }
}

function checkLastCommit (block: Block, rules: BlockRules): void {
  const h = block.header
  const c = block.lastCommit
  // Rule: height 1 has no previous block to commit; every later block carries the commit of h - 1.
  if (h.height === 1) {
    if (c !== null) throw new BlockError('INVALID_BLOCK', 'block at height 1 carries a last commit')
    if (!bytesEqual(h.lastCommitHash, ZERO_HASH)) throw new BlockError('LAST_COMMIT_MISMATCH', 'lastCommitHash at height 1 must be all zeros')
    return
  }
  if (c === null) throw new BlockError('INVALID_BLOCK', `block at height ${h.height} is missing the commit of height ${h.height - 1}`)
  if (c.height !== h.height - 1) {
    throw new BlockError('INVALID_BLOCK', `last commit is for height ${c.height}, expected ${h.height - 1}`)
  }
  if (rules.prevHash !== undefined && !bytesEqual(c.blockHash, rules.prevHash)) {
    throw new BlockError('INVALID_BLOCK', `last commit is for block ${toHex(c.blockHash)}, not the previous block ${toHex(rules.prevHash)}`)
  }
  // The commit's signatures are checked by consensus against the validator set; here only its binding to the header.
  if (!bytesEqual(commitHash(c), h.lastCommitHash)) {
    throw new BlockError('LAST_COMMIT_MISMATCH', `lastCommitHash ${toHex(h.lastCommitHash)} does not match the included commit ${toHex(commitHash(c))}`)
  }
}

/**
 * Every rule that needs no state: header links, last commit binding, limits, tx root, no
 * duplicate transactions and each transaction's stateless rules. Cheap checks run first so a
 * bad block costs little before the signature checks.
 */
export function validateBlockStateless (block: Block, rules: BlockRules): void {
  checkHeader(block, rules)
  checkLastCommit(block, rules)
  // Rule: block limits from genesis parameters.
  if (block.txs.length > rules.maxTxs) {
    throw new BlockError('TOO_MANY_TXS', `block holds ${block.txs.length} transactions, the limit is ${rules.maxTxs}`)
  }
  let size: number
  let ids: Uint8Array[]
  try {
    size = rules.encodedSize ?? encodeBlock(block).length
    ids = block.txs.map(txId)
  } catch (err) {
    if (err instanceof CodecError) throw new BlockError('INVALID_BLOCK', `block cannot be encoded: ${err.message}`)
    throw err
  }
  if (size > rules.maxBlockBytes) {
    throw new BlockError('TOO_LARGE', `block of ${size} bytes exceeds the limit of ${rules.maxBlockBytes}`)
  }
  // Rule: a transaction appears at most once in a block.
  const seen = new Set<string>()
  ids.forEach((id, i) => {
    const key = toHex(id)
    if (seen.has(key)) throw new BlockError('DUPLICATE_TX', `transaction ${i} (${key}) appears twice in the block`)
    seen.add(key)
  })
  // Rule: txRoot commits to exactly these transactions in this order.
  const root = merkleRoot(ids)
  if (!bytesEqual(root, block.header.txRoot)) {
    throw new BlockError('TX_ROOT_MISMATCH', `txRoot ${toHex(block.header.txRoot)} does not match the transactions (${toHex(root)})`)
  }
  block.txs.forEach((tx, i) => {
    try {
      validateTxStateless(tx, rules)
    } catch (err) {
      if (err instanceof BlockError) throw new BlockError(err.code, `transaction ${i} (${toHex(ids[i])}): ${err.message}`, err.meta)
      throw err
    }
  })
}

/** The txRoot of a list of transactions, for proposers building a header. */
export function txRootOf (txs: Block['txs']): Uint8Array {
  return merkleRoot(txs.map(txId))
}

export interface CommitJson {
  height: number
  round: number
  blockHash: string
  signatures: Array<{ validator: string, signature: string }>
}

export function commitToJSON (c: Commit): CommitJson {
  return {
    height: c.height,
    round: c.round,
    blockHash: toHex(c.blockHash),
    signatures: c.signatures.map(s => ({ validator: toHex(s.validator), signature: toHex(s.signature) }))
  }
}

export interface BlockJson {
  hash: string
  header: Json
  txs: Array<TxJson & { id: string }>
  lastCommit: CommitJson | null
}

export function blockToJSON (block: Block): BlockJson {
  return {
    hash: toHex(blockHash(block.header)),
    header: headerToJSON(block.header),
    txs: block.txs.map(tx => ({ id: toHex(txId(tx)), ...txToJSON(tx) })),
    lastCommit: block.lastCommit === null ? null : commitToJSON(block.lastCommit)
  }
}
