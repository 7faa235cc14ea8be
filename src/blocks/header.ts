/**
 * Block headers: their canonical bytes and hash. A header is the whole of what validators sign
 * (through its hash in votes and proposals), so every field is fixed-length or bounded and the
 * decoder accepts only the canonical encoding. Layout (docs/format.md):
 *
 *   RLP([chainId, height, time, prevHash, txRoot, stateRoot, validatorsHash, proposer, lastCommitHash])
 */
import { CodecError } from '../codec/errors.js'
import { rlpDecode, rlpEncode } from '../codec/rlp.js'
import type { RlpItem } from '../codec/rlp.js'
import { bytes, string, struct, u53 } from '../codec/schema.js'
import type { Json } from '../codec/schema.js'
import { sha256 } from '../crypto/index.js'
import { MAX_CHAIN_ID_LENGTH } from './tx.js'
import type { Header } from './types.js'

export const HASH_LENGTH = 32
export const ADDRESS_LENGTH = 20
/** prevHash at height 1 and lastCommitHash at height 1. */
export const ZERO_HASH = new Uint8Array(HASH_LENGTH)
/** Headers are a few hundred bytes; more is refused before decoding. */
export const MAX_HEADER_BYTES = 1024

export const HeaderSchema = struct({
  chainId: string({ max: MAX_CHAIN_ID_LENGTH }),
  height: u53(),
  time: u53(),
  prevHash: bytes({ len: HASH_LENGTH }),
  txRoot: bytes({ len: HASH_LENGTH }),
  stateRoot: bytes({ len: HASH_LENGTH }),
  validatorsHash: bytes({ len: HASH_LENGTH }),
  proposer: bytes({ len: ADDRESS_LENGTH }),
  lastCommitHash: bytes({ len: HASH_LENGTH })
})

export function headerToRlp (header: Header): RlpItem {
  return HeaderSchema.encodeAt(pick(header), 'header')
}

export function headerFromRlp (item: RlpItem): Header {
  const h = HeaderSchema.decodeAt(item, 'header')
  if (h.chainId.length === 0) throw new CodecError('MALFORMED', 'header.chainId: empty')
  return h
}

export function encodeHeader (header: Header): Uint8Array {
  return rlpEncode(headerToRlp(header))
}

export function decodeHeader (bytes: Uint8Array): Header {
  return headerFromRlp(rlpDecode(bytes, MAX_HEADER_BYTES))
}

/** The block id: what votes, proposals, commits and the next header's prevHash refer to. */
export function blockHash (header: Header): Uint8Array {
  return sha256(encodeHeader(header))
}

export function headerToJSON (header: Header): Json {
  return HeaderSchema.toJSONAt(pick(header), 'header')
}

export function headerFromJSON (json: unknown): Header {
  return HeaderSchema.fromJSONAt(json, 'header')
}

/**
 * Only the header's own fields: callers sometimes hand over objects carrying more (a stored
 * header with its hash), and extra keys must not change or break the encoding.
 */
function pick (h: Header): Header {
  return {
    chainId: h.chainId,
    height: h.height,
    time: h.time,
    prevHash: h.prevHash,
    txRoot: h.txRoot,
    stateRoot: h.stateRoot,
    validatorsHash: h.validatorsHash,
    proposer: h.proposer,
    lastCommitHash: h.lastCommitHash
  }
}
