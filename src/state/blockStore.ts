/**
 * Persistence of committed blocks, their commits, the transaction index and the chain head.
 * Every record here is written in the same atomic batch as the block's state changes, so after a
 * crash the store holds either the whole block or none of it.
 */
import type { KVStore, BatchOp } from './store.js'
import { PREFIX, concatKey, heightKey } from './keys.js'
import { packRecord, unpackRecord, rlpEncode, rlpDecode } from '../codec/index.js'
import { decodeBlock, encodeCommit, decodeCommit } from '../blocks/index.js'
import type { Block, Commit } from '../blocks/types.js'
import type { TxResult } from './executor.js'
import { StateError } from './errors.js'

export interface Head {
  height: number
  /** Hash of the block at `height` (32 zero bytes at genesis). */
  hash: Uint8Array
  time: number
  /** State root after applying the block at `height`. */
  stateRoot: Uint8Array
}

export interface TxLocation {
  height: number
  index: number
  result: TxResult
}

const HEAD_KEY = concatKey(PREFIX.meta, 'head')
const GENESIS_KEY = concatKey(PREFIX.meta, 'genesis')

export class BlockStore {
  constructor (private readonly kv: KVStore, private readonly maxBlockBytes: number) {}

  async head (): Promise<Head | undefined> {
    const bytes = await this.kv.get(HEAD_KEY)
    if (bytes === undefined) return undefined
    const r = unpackRecord(bytes) as { height: number, hash: Uint8Array, time: number, stateRoot: Uint8Array }
    return { height: r.height, hash: r.hash, time: r.time, stateRoot: r.stateRoot }
  }

  headOp (head: Head): BatchOp {
    return { type: 'put', key: HEAD_KEY, value: packRecord(head) }
  }

  async genesisHash (): Promise<Uint8Array | undefined> {
    return await this.kv.get(GENESIS_KEY)
  }

  genesisOp (hash: Uint8Array): BatchOp {
    return { type: 'put', key: GENESIS_KEY, value: hash }
  }

  blockOps (height: number, hash: Uint8Array, blockBytes: Uint8Array, commit: Commit | null, txs: Array<{ id: Uint8Array, result: TxResult }>): BatchOp[] {
    const ops: BatchOp[] = [
      { type: 'put', key: concatKey(PREFIX.block, heightKey(height)), value: blockBytes },
      { type: 'put', key: concatKey(PREFIX.blockHash, hash), value: heightKey(height) }
    ]
    if (commit != null) ops.push(this.commitOp(commit))
    txs.forEach(({ id, result }, index) => {
      ops.push({ type: 'put', key: concatKey(PREFIX.tx, id), value: packRecord({ height, index, result }) })
    })
    return ops
  }

  commitOp (commit: Commit): BatchOp {
    return { type: 'put', key: concatKey(PREFIX.commit, heightKey(commit.height)), value: rlpEncode(encodeCommit(commit)) }
  }

  async blockBytes (height: number): Promise<Uint8Array | undefined> {
    return await this.kv.get(concatKey(PREFIX.block, heightKey(height)))
  }

  async block (height: number): Promise<Block | undefined> {
    const bytes = await this.blockBytes(height)
    if (bytes === undefined) return undefined
    try {
      return decodeBlock(bytes, { maxBytes: this.maxBlockBytes })
    } catch (err) {
      throw new StateError('CORRUPT_STATE', `stored block ${height} does not decode: ${(err as Error).message}`)
    }
  }

  async heightOf (hash: Uint8Array): Promise<number | undefined> {
    const v = await this.kv.get(concatKey(PREFIX.blockHash, hash))
    if (v === undefined) return undefined
    return Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0))
  }

  async commit (height: number): Promise<Commit | undefined> {
    const bytes = await this.kv.get(concatKey(PREFIX.commit, heightKey(height)))
    if (bytes === undefined) return undefined
    return decodeCommit(rlpDecode(bytes))
  }

  async txLocation (id: Uint8Array): Promise<TxLocation | undefined> {
    const bytes = await this.kv.get(concatKey(PREFIX.tx, id))
    if (bytes === undefined) return undefined
    return unpackRecord(bytes) as TxLocation
  }
}
