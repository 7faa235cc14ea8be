/**
 * Gossip validation: every message is decoded and checked here before it is forwarded or handed
 * to consensus or the mempool. Functions read like rules — a comment naming the rule, the check,
 * the throw — and know nothing of libp2p: they take bytes and a view of the chain, and return the
 * decoded message or throw a GossipValidationError whose action becomes gossipsub's verdict.
 *
 * Wire forms (msgpack for the envelope, RLP for what is signed; docs/network.md):
 *   tx:       an RLP list of 1..MAX_TXS_PER_MESSAGE transactions' canonical bytes
 *   proposal: msgpack {p: RLP proposal, b: block bytes}
 *   vote:     RLP vote
 *   evidence: RLP duplicate-vote evidence
 */
import { decodeVote, decodeProposal, decodeBlock, blockHash, voteSigningBytes, proposalSigningBytes } from '../blocks/index.js'
import type { Block, Proposal, Vote } from '../blocks/types.js'
import { decodeEvidence, verifyEvidence, type DuplicateVoteEvidence, type ValidatorSet } from '../consensus/index.js'
import { ed25519Verify } from '../crypto/index.js'
import { bytesEqual, packRecord, unpackRecord, toHex, rlpEncode, rlpDecode } from '../codec/index.js'
import { errorMessage } from '../errors.js'
import { GossipValidationError } from './errors.js'

export interface GossipChainView {
  chainId: string
  /** Height of the last committed block. */
  headHeight: () => number
  /** Validators (keys and power) of a height. */
  validatorSet: (height: number) => ValidatorSet
  maxBlockBytes: number
}

/**
 * Heights a node forwards: from its head (late precommits still help peers finishing that height)
 * to head + FUTURE_WINDOW (peers slightly ahead). Anything further it cannot judge: ignored.
 */
export const FUTURE_WINDOW = 2

/**
 * The most transactions one gossip message carries. A node gathers the transactions its clients
 * submit for a few milliseconds and gossips them together: per message, gossipsub, Yamux, Noise
 * and TCP each cost far more than a transaction's bytes, and four validators relaying every
 * transaction alone spent more CPU on that than on checking signatures.
 */
export const MAX_TXS_PER_MESSAGE = 1024

export function encodeTxBatch (txs: Uint8Array[]): Uint8Array {
  return rlpEncode(txs)
}

/** Rule: a transaction message is a canonical RLP list of 1..MAX_TXS_PER_MESSAGE byte strings. */
export function decodeTxBatch (bytes: Uint8Array, maxBytes: number): Uint8Array[] {
  let item
  try {
    item = rlpDecode(bytes, maxBytes)
  } catch (err) {
    throw new GossipValidationError('reject', 'MALFORMED', `transaction batch: ${errorMessage(err)}`)
  }
  if (!Array.isArray(item) || item.length === 0 || item.length > MAX_TXS_PER_MESSAGE) {
    throw new GossipValidationError('reject', 'MALFORMED', `a transaction batch is a list of 1 to ${MAX_TXS_PER_MESSAGE} transactions`)
  }
  const txs: Uint8Array[] = []
  for (const t of item) {
    if (!(t instanceof Uint8Array)) throw new GossipValidationError('reject', 'MALFORMED', 'a transaction batch holds byte strings only')
    txs.push(t)
  }
  return txs
}

export function encodeProposalMessage (proposal: Uint8Array, block: Uint8Array): Uint8Array {
  return packRecord({ p: proposal, b: block })
}

function decodeProposalEnvelope (bytes: Uint8Array): { p: Uint8Array, b: Uint8Array } {
  let rec: unknown
  try {
    rec = unpackRecord(bytes)
  } catch (err) {
    throw new GossipValidationError('reject', 'MALFORMED', `proposal envelope: ${errorMessage(err)}`)
  }
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
    throw new GossipValidationError('reject', 'MALFORMED', 'proposal envelope is not a map')
  }
  const keys = Object.keys(rec)
  const { p, b } = rec as Record<string, unknown>
  if (keys.length !== 2 || !(p instanceof Uint8Array) || !(b instanceof Uint8Array)) {
    throw new GossipValidationError('reject', 'MALFORMED', 'proposal envelope must be exactly {p: bytes, b: bytes}')
  }
  return { p, b }
}

/** Stale and far-future heights are ignored, never punished: the sender may simply be ahead or behind. */
function checkHeight (view: GossipChainView, height: number, what: string): void {
  const head = view.headHeight()
  if (height < head) throw new GossipValidationError('ignore', 'STALE', `${what} for height ${height}, already committed ${head}`, { height })
  if (height > head + FUTURE_WINDOW) throw new GossipValidationError('ignore', 'FUTURE', `${what} for height ${height}, head is ${head}`, { height })
}

export function validateVoteMessage (view: GossipChainView, bytes: Uint8Array): Vote {
  let vote: Vote
  try {
    vote = decodeVote(bytes)
  } catch (err) {
    throw new GossipValidationError('reject', 'MALFORMED', `vote: ${errorMessage(err)}`)
  }
  checkHeight(view, vote.height, 'vote')
  // Rule: only a validator of the vote's height may vote, with its own key.
  const validator = view.validatorSet(vote.height).get(vote.validator)
  if (validator === undefined) {
    throw new GossipValidationError('reject', 'UNKNOWN_VALIDATOR', `vote from ${toHex(vote.validator)}, not a validator at ${vote.height}`)
  }
  if (!ed25519Verify(validator.publicKey, voteSigningBytes(view.chainId, vote), vote.signature)) {
    throw new GossipValidationError('reject', 'BAD_SIGNATURE', `vote signature of ${toHex(vote.validator)} does not verify`)
  }
  return vote
}

export interface ProposalMessage {
  proposal: Proposal
  block: Block
  blockBytes: Uint8Array
}

export function validateProposalMessage (view: GossipChainView, bytes: Uint8Array): ProposalMessage {
  if (bytes.length > view.maxBlockBytes + 4096) {
    throw new GossipValidationError('reject', 'TOO_LARGE', `proposal message of ${bytes.length} bytes exceeds the block limit`)
  }
  const env = decodeProposalEnvelope(bytes)
  let proposal: Proposal
  try {
    proposal = decodeProposal(env.p)
  } catch (err) {
    throw new GossipValidationError('reject', 'MALFORMED', `proposal: ${errorMessage(err)}`)
  }
  checkHeight(view, proposal.height, 'proposal')
  // Rule: the proposer is a validator of the height and signed this proposal.
  const proposer = view.validatorSet(proposal.height).get(proposal.proposer)
  if (proposer === undefined) {
    throw new GossipValidationError('reject', 'UNKNOWN_VALIDATOR', `proposal from ${toHex(proposal.proposer)}, not a validator at ${proposal.height}`)
  }
  if (!ed25519Verify(proposer.publicKey, proposalSigningBytes(view.chainId, proposal), proposal.signature)) {
    throw new GossipValidationError('reject', 'BAD_SIGNATURE', 'proposal signature does not verify')
  }
  // Rule: the block carried is the block proposed. Whether it is a *valid* block is consensus's
  // call (it needs state); a signed proposal with mismatching bytes is forged or corrupted.
  let block: Block
  try {
    block = decodeBlock(env.b, { maxBytes: view.maxBlockBytes })
  } catch (err) {
    throw new GossipValidationError('reject', 'MALFORMED', `proposed block: ${errorMessage(err)}`)
  }
  if (block.header.chainId !== view.chainId) throw new GossipValidationError('reject', 'WRONG_CHAIN', `proposed block is for chain ${block.header.chainId}`)
  if (block.header.height !== proposal.height || !bytesEqual(blockHash(block.header), proposal.blockHash)) {
    throw new GossipValidationError('reject', 'HASH_MISMATCH', 'the block carried is not the block proposed')
  }
  return { proposal, block, blockBytes: env.b }
}

export function validateEvidenceMessage (view: GossipChainView, bytes: Uint8Array): DuplicateVoteEvidence {
  let ev: DuplicateVoteEvidence
  try {
    ev = decodeEvidence(bytes)
  } catch (err) {
    throw new GossipValidationError('reject', 'MALFORMED', `evidence: ${errorMessage(err)}`)
  }
  const height = ev.voteA.height
  if (height > view.headHeight() + FUTURE_WINDOW) {
    throw new GossipValidationError('ignore', 'FUTURE', `evidence for height ${height}, head is ${view.headHeight()}`)
  }
  // Rule: evidence is two conflicting votes, both validly signed by one validator of that height.
  try {
    verifyEvidence(view.chainId, view.validatorSet(height), ev)
  } catch (err) {
    throw new GossipValidationError('reject', 'INVALID_EVIDENCE', `evidence: ${errorMessage(err)}`)
  }
  return ev
}

/**
 * Rule: a gossiped transaction is forwarded only once this node's pool admits it. A transaction
 * that cannot be valid anywhere (undecodable, bad signature, wrong chain) is the sender's fault;
 * one refused for state reasons (nonce, balance, a full pool, already known) may be fine elsewhere.
 */
export async function admitTxMessage (addBytes: (bytes: Uint8Array) => Promise<unknown>, bytes: Uint8Array): Promise<void> {
  try {
    await addBytes(bytes)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'INVALID') throw new GossipValidationError('reject', 'INVALID_TX', `transaction: ${errorMessage(err)}`)
    throw new GossipValidationError('ignore', 'TX_NOT_ADMITTED', `transaction not admitted: ${errorMessage(err)}`, { reason: code })
  }
}
