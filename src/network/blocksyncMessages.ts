/**
 * Wire messages of the block-sync protocol `/folio/blocksync/1.0.0`. One request per stream, each
 * message one length-prefixed msgpack frame:
 *
 *   → {t: "status", chainId, height, hash}     the asker's status; the answer is the server's:
 *   ← {chainId, height, hash}
 *
 *   → {t: "blocks", from, count}               1 ≤ count ≤ MAX_SYNC_BATCH
 *   ← {n}                                      how many block frames follow (0 … count)
 *   ← {h, b, c} × n                            height, block bytes, RLP of the commit that decided it
 *
 *   → {t: "votes", height}                     the proposals and votes the server holds for a height
 *   ← {n}
 *   ← {k: "v" | "p", d} × n                    a vote or a proposal message, as gossiped
 *
 * Decoders accept exactly these shapes (no extra keys, safe non-negative integers, bounded byte
 * strings) and throw only NetworkError MALFORMED_MESSAGE.
 */
import { packRecord, unpackRecord, rlpDecode, rlpEncode } from '../codec/index.js'
import { encodeCommit, decodeCommit } from '../blocks/index.js'
import type { Commit } from '../blocks/types.js'
import { errorMessage } from '../errors.js'
import { NetworkError } from './errors.js'

export const BLOCKSYNC_PROTOCOL = '/folio/blocksync/1.0.0'
/** The most blocks one request may ask for. */
export const MAX_SYNC_BATCH = 500
/** Status and request frames are tiny; anything larger is refused before decoding. */
export const MAX_REQUEST_BYTES = 1024
const MAX_CHAIN_ID = 128
const HASH_BYTES = 32

export interface SyncStatus {
  chainId: string
  height: number
  hash: Uint8Array
}

export type SyncRequest =
  | { t: 'status', status: SyncStatus }
  | { t: 'blocks', from: number, count: number }
  | { t: 'votes', height: number }

/** The most consensus messages one votes response may carry. */
export const MAX_VOTES_RESPONSE = 4096

export interface ConsensusFrame {
  kind: 'vote' | 'proposal'
  data: Uint8Array
}

export interface SyncBlock {
  height: number
  blockBytes: Uint8Array
  commit: Commit
}

function malformed (msg: string): NetworkError {
  return new NetworkError('MALFORMED_MESSAGE', msg)
}

function unpackMap (bytes: Uint8Array, what: string): Record<string, unknown> {
  let rec: unknown
  try {
    rec = unpackRecord(bytes)
  } catch (err) {
    throw malformed(`${what}: ${errorMessage(err)}`)
  }
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec) || rec instanceof Uint8Array) throw malformed(`${what} is not a map`)
  return rec as Record<string, unknown>
}

function exactKeys (rec: Record<string, unknown>, keys: string[], what: string): void {
  const got = Object.keys(rec)
  if (got.length !== keys.length || !keys.every(k => Object.hasOwn(rec, k))) {
    throw malformed(`${what} must have exactly the keys ${keys.join(', ')}`)
  }
}

function uint (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(`${what} must be a non-negative safe integer`)
  return v
}

function bytes (v: unknown, what: string, max: number, exact?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw malformed(`${what} must be bytes`)
  if (v.length > max || (exact !== undefined && v.length !== exact)) throw malformed(`${what} has a wrong length ${v.length}`)
  return v
}

function readStatus (rec: Record<string, unknown>, what: string): SyncStatus {
  const chainId = rec.chainId
  if (typeof chainId !== 'string' || chainId.length === 0 || chainId.length > MAX_CHAIN_ID) throw malformed(`${what}: bad chainId`)
  return { chainId, height: uint(rec.height, `${what}.height`), hash: bytes(rec.hash, `${what}.hash`, HASH_BYTES, HASH_BYTES) }
}

export function encodeRequest (req: SyncRequest): Uint8Array {
  if (req.t === 'status') return packRecord({ t: 'status', ...req.status })
  if (req.t === 'votes') return packRecord({ t: 'votes', height: req.height })
  return packRecord({ t: 'blocks', from: req.from, count: req.count })
}

export function decodeRequest (data: Uint8Array): SyncRequest {
  if (data.length > MAX_REQUEST_BYTES) throw malformed(`request of ${data.length} bytes is too large`)
  const rec = unpackMap(data, 'request')
  if (rec.t === 'status') {
    exactKeys(rec, ['t', 'chainId', 'height', 'hash'], 'status request')
    return { t: 'status', status: readStatus(rec, 'status request') }
  }
  if (rec.t === 'blocks') {
    exactKeys(rec, ['t', 'from', 'count'], 'blocks request')
    const from = uint(rec.from, 'from')
    const count = uint(rec.count, 'count')
    if (from < 1) throw malformed('blocks request must start at height 1 or above')
    if (count < 1 || count > MAX_SYNC_BATCH) throw malformed(`blocks request count ${count} is outside 1…${MAX_SYNC_BATCH}`)
    return { t: 'blocks', from, count }
  }
  if (rec.t === 'votes') {
    exactKeys(rec, ['t', 'height'], 'votes request')
    return { t: 'votes', height: uint(rec.height, 'height') }
  }
  throw malformed('unknown request type')
}

export function encodeStatus (s: SyncStatus): Uint8Array {
  return packRecord({ chainId: s.chainId, height: s.height, hash: s.hash })
}

export function decodeStatus (data: Uint8Array): SyncStatus {
  if (data.length > MAX_REQUEST_BYTES) throw malformed(`status of ${data.length} bytes is too large`)
  const rec = unpackMap(data, 'status')
  exactKeys(rec, ['chainId', 'height', 'hash'], 'status')
  return readStatus(rec, 'status')
}

export function encodeBlocksHeader (n: number): Uint8Array {
  return packRecord({ n })
}

export function decodeBlocksHeader (data: Uint8Array, requested: number): number {
  if (data.length > MAX_REQUEST_BYTES) throw malformed('blocks header is too large')
  const rec = unpackMap(data, 'blocks header')
  exactKeys(rec, ['n'], 'blocks header')
  const n = uint(rec.n, 'n')
  if (n > requested) throw malformed(`peer announces ${n} blocks, ${requested} were asked for`)
  return n
}

export function encodeSyncBlock (b: SyncBlock): Uint8Array {
  return packRecord({ h: b.height, b: b.blockBytes, c: rlpEncode(encodeCommit(b.commit)) })
}

export function decodeSyncBlock (data: Uint8Array, maxBlockBytes: number): SyncBlock {
  const rec = unpackMap(data, 'block frame')
  exactKeys(rec, ['h', 'b', 'c'], 'block frame')
  const height = uint(rec.h, 'h')
  const blockBytes = bytes(rec.b, 'block', maxBlockBytes)
  const c = bytes(rec.c, 'commit', 64 * 1024)
  let commit: Commit
  try {
    commit = decodeCommit(rlpDecode(c))
  } catch (err) {
    throw malformed(`commit: ${errorMessage(err)}`)
  }
  return { height, blockBytes, commit }
}

export function encodeConsensusFrame (f: ConsensusFrame): Uint8Array {
  return packRecord({ k: f.kind === 'vote' ? 'v' : 'p', d: f.data })
}

export function decodeConsensusFrame (data: Uint8Array, maxBytes: number): ConsensusFrame {
  const rec = unpackMap(data, 'consensus frame')
  exactKeys(rec, ['k', 'd'], 'consensus frame')
  if (rec.k !== 'v' && rec.k !== 'p') throw malformed('consensus frame kind must be "v" or "p"')
  return { kind: rec.k === 'v' ? 'vote' : 'proposal', data: bytes(rec.d, 'consensus frame data', maxBytes) }
}
