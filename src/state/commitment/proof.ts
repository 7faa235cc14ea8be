/**
 * State proofs: a key's whole bucket plus the 16 sibling hashes from that bucket's leaf up to the
 * root. Verification is pure and needs only src/crypto, so a light client (or a browser) can check
 * a value — or the absence of a key — against a state root from a signed header.
 */
import { sha256 } from '../../crypto/index.js'
import { StateCommitmentError } from './errors.js'
import {
  BUCKET_COUNT, HASH_BYTES, PAIR_BYTES, TREE_DEPTH,
  bucketOfKeyHash, equalBytes, findPair, hashBucket, hashNode, isCanonicalBucket
} from './layout.js'

export interface StateProof {
  bucket: number
  /** The bucket's (keyHash, valueHash) pairs, 64 bytes each, strictly increasing by keyHash. */
  pairs: Uint8Array
  /** TREE_DEPTH sibling hashes, leaf level first. */
  siblings: Uint8Array[]
}

export interface StateProofJSON {
  bucket: number
  pairs: string
  siblings: string[]
}

/**
 * The largest bucket a decoded proof may carry (1 MiB of pairs). A state of 1M keys averages ~15
 * keys per bucket; this bound leaves room for ~1,000M keys before buckets need splitting, and keeps
 * a hostile proof from costing a light client more than one megabyte of hashing.
 */
export const MAX_PROOF_PAIRS = 16_384

/** The root that `proof` implies, or undefined when the proof is not well formed. */
function rootFromProof (proof: StateProof): Uint8Array | undefined {
  const { bucket, pairs, siblings } = proof
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= BUCKET_COUNT) return undefined
  if (!(pairs instanceof Uint8Array) || pairs.length > MAX_PROOF_PAIRS * PAIR_BYTES) return undefined
  if (!Array.isArray(siblings) || siblings.length !== TREE_DEPTH) return undefined
  if (!isCanonicalBucket(bucket, pairs)) return undefined
  let node = hashBucket(pairs)
  let index = bucket
  for (const sibling of siblings) {
    if (!(sibling instanceof Uint8Array) || sibling.length !== HASH_BYTES) return undefined
    node = (index & 1) === 0 ? hashNode(node, sibling) : hashNode(sibling, node)
    index >>>= 1
  }
  return node
}

/**
 * True when `proof` shows that, under `root`, `key` holds `value` — or, for `value === null`, that
 * `key` is absent. Never throws: anything malformed is simply not a proof.
 */
export function verifyStateProof (root: Uint8Array, key: Uint8Array, value: Uint8Array | null, proof: StateProof): boolean {
  if (proof == null || typeof proof !== 'object') return false
  const keyHash = sha256(key)
  if (bucketOfKeyHash(keyHash) !== proof.bucket) return false
  const computed = rootFromProof(proof)
  if (computed === undefined || !equalBytes(computed, root)) return false
  const index = findPair(proof.pairs, keyHash)
  if (value === null) return index === -1
  if (index === -1) return false
  const off = index * PAIR_BYTES + HASH_BYTES
  return equalBytes(proof.pairs.subarray(off, off + HASH_BYTES), sha256(value))
}

const HEX = '0123456789abcdef'

function toHex (bytes: Uint8Array): string {
  let out = '0x'
  for (const b of bytes) out += HEX[b >> 4] + HEX[b & 15]
  return out
}

function fromHex (text: unknown, what: string, maxBytes: number): Uint8Array {
  if (typeof text !== 'string') throw new StateCommitmentError('MALFORMED_PROOF', `${what} must be a hex string`)
  // The length bound comes before the pattern so that a hostile string is never scanned whole.
  if (text.length > 2 + 2 * maxBytes) {
    throw new StateCommitmentError('MALFORMED_PROOF', `${what} is longer than ${maxBytes} bytes`, { chars: text.length })
  }
  if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(text)) throw new StateCommitmentError('MALFORMED_PROOF', `${what} is not 0x-prefixed hex`)
  const n = (text.length - 2) / 2
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = parseInt(text.slice(2 + 2 * i, 4 + 2 * i), 16)
  return out
}

export function stateProofToJSON (proof: StateProof): StateProofJSON {
  return { bucket: proof.bucket, pairs: toHex(proof.pairs), siblings: proof.siblings.map(toHex) }
}

/**
 * Decodes the JSON form with its shape checked (bucket range, whole pairs, at most
 * MAX_PROOF_PAIRS, exactly TREE_DEPTH 32-byte siblings). Order within the pair list is left to
 * `verifyStateProof`, which rejects an unsorted or duplicated list.
 */
export function stateProofFromJSON (json: unknown): StateProof {
  if (json == null || typeof json !== 'object' || Array.isArray(json)) {
    throw new StateCommitmentError('MALFORMED_PROOF', 'state proof must be an object')
  }
  const { bucket, pairs, siblings } = json as Record<string, unknown>
  if (typeof bucket !== 'number' || !Number.isInteger(bucket) || bucket < 0 || bucket >= BUCKET_COUNT) {
    throw new StateCommitmentError('MALFORMED_PROOF', `bucket must be an integer in [0, ${BUCKET_COUNT})`)
  }
  const pairBytes = fromHex(pairs, 'pairs', MAX_PROOF_PAIRS * PAIR_BYTES)
  if (pairBytes.length % PAIR_BYTES !== 0) {
    throw new StateCommitmentError('MALFORMED_PROOF', `pairs must be a multiple of ${PAIR_BYTES} bytes`, { bytes: pairBytes.length })
  }
  if (!Array.isArray(siblings) || siblings.length !== TREE_DEPTH) {
    throw new StateCommitmentError('MALFORMED_PROOF', `siblings must be an array of ${TREE_DEPTH} hashes`)
  }
  const siblingBytes = siblings.map((s, i) => {
    const b = fromHex(s, `siblings[${i}]`, HASH_BYTES)
    if (b.length !== HASH_BYTES) throw new StateCommitmentError('MALFORMED_PROOF', `siblings[${i}] must be ${HASH_BYTES} bytes`)
    return b
  })
  return { bucket, pairs: pairBytes, siblings: siblingBytes }
}
