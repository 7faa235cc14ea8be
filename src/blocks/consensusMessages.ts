/**
 * Canonical RLP of consensus messages (votes, proposals, commits) and the bytes validators sign.
 *
 * Signing bytes start with a domain tag and the chain id (MISSION.md §3), so a vote signature can
 * never pass as a proposal or transaction signature, nor on another chain:
 *   vote:     RLP(["folio/vote/v1", chainId, type, height, round, blockHash | ""])
 *   proposal: RLP(["folio/proposal/v1", chainId, height, round, validRound + 1, blockHash])
 * type is 1 = prevote, 2 = precommit. validRound is stored plus one because RLP integers are
 * unsigned and "no valid round" is -1. The validator is not in the signed bytes: its key is.
 *
 * Wire forms (what is gossiped and stored):
 *   vote:     [type, height, round, blockHash | "", validator, signature]
 *   proposal: [height, round, validRound + 1, blockHash, proposer, signature]
 *   commit:   [height, round, blockHash, [[validator, signature], ...]]
 * Decoders accept only these exact shapes, with fixed lengths, and throw only CodecError.
 */
import { CodecError } from '../codec/errors.js'
import { bytesToUint, expectBytes, expectList, rlpDecode, rlpEncode, uintToBytes } from '../codec/rlp.js'
import type { RlpItem } from '../codec/rlp.js'
import { utf8 } from '../codec/hex.js'
import { sha256 } from '../crypto/index.js'
import type { Commit, CommitSig, Proposal, Vote, VoteType } from './types.js'

export const VOTE_DOMAIN = 'folio/vote/v1'
export const PROPOSAL_DOMAIN = 'folio/proposal/v1'

const HASH_LENGTH = 32
const ADDRESS_LENGTH = 20
const SIGNATURE_LENGTH = 64
/** Heights and rounds are JS safe integers; 6 bytes keeps decoding inside that range. */
const MAX_INT_BYTES = 6
/** A vote or proposal is a few hundred bytes; anything far larger is refused before decoding. */
const MAX_MESSAGE_BYTES = 1024

export type UnsignedVote = Omit<Vote, 'signature'>
export type UnsignedProposal = Omit<Proposal, 'signature'>

function voteTypeCode (type: VoteType): number {
  return type === 'prevote' ? 1 : 2
}

function voteTypeFrom (code: bigint): VoteType {
  if (code === 1n) return 'prevote'
  if (code === 2n) return 'precommit'
  throw new CodecError('UNKNOWN_TYPE', `unknown vote type ${code}`)
}

function readInt (item: RlpItem | undefined, what: string): number {
  if (item === undefined) throw new CodecError('MALFORMED', `${what}: missing`)
  return Number(bytesToUint(expectBytes(item, what), MAX_INT_BYTES))
}

function readFixed (item: RlpItem | undefined, what: string, length: number): Uint8Array {
  if (item === undefined) throw new CodecError('MALFORMED', `${what}: missing`)
  const b = expectBytes(item, what)
  if (b.length !== length) throw new CodecError('WRONG_LENGTH', `${what}: expected ${length} bytes, got ${b.length}`)
  return b
}

/** A block hash, or nil as the empty string. */
function readOptionalHash (item: RlpItem | undefined, what: string): Uint8Array | null {
  if (item === undefined) throw new CodecError('MALFORMED', `${what}: missing`)
  const b = expectBytes(item, what)
  if (b.length === 0) return null
  if (b.length !== HASH_LENGTH) throw new CodecError('WRONG_LENGTH', `${what}: expected ${HASH_LENGTH} bytes, got ${b.length}`)
  return b
}

export function voteSigningBytes (chainId: string, vote: UnsignedVote): Uint8Array {
  return rlpEncode([
    utf8(VOTE_DOMAIN), utf8(chainId), uintToBytes(voteTypeCode(vote.type)),
    uintToBytes(vote.height), uintToBytes(vote.round), vote.blockHash ?? new Uint8Array(0)
  ])
}

export function proposalSigningBytes (chainId: string, proposal: UnsignedProposal): Uint8Array {
  return rlpEncode([
    utf8(PROPOSAL_DOMAIN), utf8(chainId), uintToBytes(proposal.height), uintToBytes(proposal.round),
    uintToBytes(proposal.validRound + 1), proposal.blockHash
  ])
}

export function voteToRlp (vote: Vote): RlpItem {
  return [
    uintToBytes(voteTypeCode(vote.type)), uintToBytes(vote.height), uintToBytes(vote.round),
    vote.blockHash ?? new Uint8Array(0), vote.validator, vote.signature
  ]
}

export function voteFromRlp (item: RlpItem): Vote {
  const f = expectList(item, 'vote', 6)
  return {
    type: voteTypeFrom(bytesToUint(expectBytes(f[0]!, 'vote type'), 1)),
    height: readInt(f[1], 'vote height'),
    round: readInt(f[2], 'vote round'),
    blockHash: readOptionalHash(f[3], 'vote block hash'),
    validator: readFixed(f[4], 'vote validator', ADDRESS_LENGTH),
    signature: readFixed(f[5], 'vote signature', SIGNATURE_LENGTH)
  }
}

export function encodeVote (vote: Vote): Uint8Array {
  return rlpEncode(voteToRlp(vote))
}

export function decodeVote (bytes: Uint8Array): Vote {
  return voteFromRlp(rlpDecode(bytes, MAX_MESSAGE_BYTES))
}

export function proposalToRlp (p: Proposal): RlpItem {
  return [
    uintToBytes(p.height), uintToBytes(p.round), uintToBytes(p.validRound + 1),
    p.blockHash, p.proposer, p.signature
  ]
}

export function proposalFromRlp (item: RlpItem): Proposal {
  const f = expectList(item, 'proposal', 6)
  const height = readInt(f[0], 'proposal height')
  const round = readInt(f[1], 'proposal round')
  const validRound = readInt(f[2], 'proposal valid round') - 1
  // A proof-of-lock always comes from an earlier round.
  if (validRound >= round) {
    throw new CodecError('OUT_OF_RANGE', `proposal valid round ${validRound} is not below its round ${round}`)
  }
  return {
    height,
    round,
    validRound,
    blockHash: readFixed(f[3], 'proposal block hash', HASH_LENGTH),
    proposer: readFixed(f[4], 'proposal proposer', ADDRESS_LENGTH),
    signature: readFixed(f[5], 'proposal signature', SIGNATURE_LENGTH)
  }
}

export function encodeProposal (p: Proposal): Uint8Array {
  return rlpEncode(proposalToRlp(p))
}

export function decodeProposal (bytes: Uint8Array): Proposal {
  return proposalFromRlp(rlpDecode(bytes, MAX_MESSAGE_BYTES))
}

/** The commit as an RLP item, for embedding in a block. */
export function encodeCommit (commit: Commit): RlpItem {
  return [
    uintToBytes(commit.height), uintToBytes(commit.round), commit.blockHash,
    commit.signatures.map(s => [s.validator, s.signature])
  ]
}

export function decodeCommit (item: RlpItem): Commit {
  const f = expectList(item, 'commit', 4)
  const signatures: CommitSig[] = expectList(f[3]!, 'commit signatures').map((s, i) => {
    const pair = expectList(s, `commit signature ${i}`, 2)
    return {
      validator: readFixed(pair[0], `commit signature ${i} validator`, ADDRESS_LENGTH),
      signature: readFixed(pair[1], `commit signature ${i} signature`, SIGNATURE_LENGTH)
    }
  })
  return {
    height: readInt(f[0], 'commit height'),
    round: readInt(f[1], 'commit round'),
    blockHash: readFixed(f[2], 'commit block hash', HASH_LENGTH),
    signatures
  }
}

/** What `Header.lastCommitHash` holds: sha256 of the commit's canonical RLP. */
export function commitHash (commit: Commit): Uint8Array {
  return sha256(rlpEncode(encodeCommit(commit)))
}

/** The precommit a commit signature stands for: commits carry only what differs per validator. */
export function commitSigToVote (commit: Commit, sig: CommitSig): Vote {
  return {
    type: 'precommit',
    height: commit.height,
    round: commit.round,
    blockHash: commit.blockHash,
    validator: sig.validator,
    signature: sig.signature
  }
}
