/**
 * Duplicate-vote evidence: two votes signed by one validator for the same height, round and type
 * but different blocks. Either vote alone is legitimate; together they prove the validator broke
 * the protocol, whoever relays them. The pair is stored in a canonical order (by encoded vote) so
 * that one offence has one encoding and one hash, however it was observed.
 */
import { CodecError } from '../codec/errors.js'
import { bytesEqual, compareBytes } from '../codec/hex.js'
import { expectList, rlpDecode, rlpEncode } from '../codec/rlp.js'
import type { RlpItem } from '../codec/rlp.js'
import { ed25519Verify, sha256 } from '../crypto/index.js'
import { encodeVote, voteFromRlp, voteSigningBytes, voteToRlp } from '../blocks/consensusMessages.js'
import type { Vote } from '../blocks/types.js'
import { ConsensusError } from './errors.js'
import type { ValidatorSet } from './validatorSet.js'

export interface DuplicateVoteEvidence {
  voteA: Vote
  voteB: Vote
}

const MAX_EVIDENCE_BYTES = 2048

/** Orders the pair canonically; throws unless the votes are a conflicting pair in shape. */
export function makeDuplicateVoteEvidence (a: Vote, b: Vote): DuplicateVoteEvidence {
  const ea = encodeVote(a)
  const eb = encodeVote(b)
  const cmp = compareBytes(ea, eb)
  if (cmp === 0) throw new ConsensusError('INVALID_EVIDENCE', 'evidence needs two different votes')
  return cmp < 0 ? { voteA: a, voteB: b } : { voteA: b, voteB: a }
}

export function evidenceToRlp (ev: DuplicateVoteEvidence): RlpItem {
  return [voteToRlp(ev.voteA), voteToRlp(ev.voteB)]
}

export function evidenceFromRlp (item: RlpItem): DuplicateVoteEvidence {
  const f = expectList(item, 'duplicate-vote evidence', 2)
  const voteA = voteFromRlp(f[0]!)
  const voteB = voteFromRlp(f[1]!)
  // Only the canonical order has an encoding, so one offence cannot be submitted twice.
  if (compareBytes(encodeVote(voteA), encodeVote(voteB)) >= 0) {
    throw new CodecError('NON_CANONICAL', 'duplicate-vote evidence votes are not in canonical order')
  }
  return { voteA, voteB }
}

export function encodeEvidence (ev: DuplicateVoteEvidence): Uint8Array {
  return rlpEncode(evidenceToRlp(ev))
}

export function decodeEvidence (bytes: Uint8Array): DuplicateVoteEvidence {
  return evidenceFromRlp(rlpDecode(bytes, MAX_EVIDENCE_BYTES))
}

export function evidenceHash (ev: DuplicateVoteEvidence): Uint8Array {
  return sha256(encodeEvidence(ev))
}

function sameBlock (a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b
  return bytesEqual(a, b)
}

/**
 * Throws INVALID_EVIDENCE unless both votes are from one validator of `valset` (the set of the
 * votes' height), for one (height, round, type), for different blocks, and both are validly signed.
 */
export function verifyEvidence (chainId: string, valset: ValidatorSet, ev: DuplicateVoteEvidence): void {
  const { voteA: a, voteB: b } = ev
  if (!bytesEqual(a.validator, b.validator)) throw new ConsensusError('INVALID_EVIDENCE', 'votes are from different validators')
  if (a.height !== b.height || a.round !== b.round || a.type !== b.type) {
    throw new ConsensusError('INVALID_EVIDENCE', 'votes are for different heights, rounds or types')
  }
  if (sameBlock(a.blockHash, b.blockHash)) throw new ConsensusError('INVALID_EVIDENCE', 'votes are for the same block')
  if (compareBytes(encodeVote(a), encodeVote(b)) >= 0) {
    throw new ConsensusError('INVALID_EVIDENCE', 'votes are not in canonical order')
  }
  const validator = valset.get(a.validator)
  if (validator === undefined) throw new ConsensusError('INVALID_EVIDENCE', 'the validator is not in the set of that height')
  for (const v of [a, b]) {
    if (!ed25519Verify(validator.publicKey, voteSigningBytes(chainId, v), v.signature)) {
      throw new ConsensusError('INVALID_EVIDENCE', 'a vote of the evidence has an invalid signature')
    }
  }
}
