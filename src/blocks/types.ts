/**
 * The shapes of transactions, blocks and consensus messages. Byte layouts are in docs/format.md;
 * encoders and decoders live beside this file. Heights, rounds and times are JS numbers (safe
 * integers); amounts, nonces and fees are bigint in ufol (MISSION.md §3).
 */

export type Bytes = Uint8Array

/** A decoded transaction body: field name → value, shaped by the body schema of its type. */
export type TxBody = Record<string, unknown>

export interface Tx {
  /** Transaction type name, e.g. `transfer`, `card.publish` (MISSION.md §4). */
  type: string
  chainId: string
  /** The sender's 32-byte Ed25519 public key; the account address is derived from it. */
  from: Bytes
  nonce: bigint
  fee: bigint
  body: TxBody
  /** 64-byte Ed25519 signature over the signing bytes (domain tag `folio/tx/v1`). */
  signature: Bytes
}

export interface Header {
  chainId: string
  height: number
  /** Milliseconds since the Unix epoch, as proposed. */
  time: number
  /** Hash of the block at height - 1 (32 zero bytes for height 1). */
  prevHash: Bytes
  /** Merkle root over the transaction ids of this block. */
  txRoot: Bytes
  /** State root after applying block height - 1 (the genesis state root for height 1). */
  stateRoot: Bytes
  /** Hash of the validator set that signs this block. */
  validatorsHash: Bytes
  /** 20-byte address of the proposer's consensus key. */
  proposer: Bytes
  /** Hash of `lastCommit` (32 zero bytes for height 1). */
  lastCommitHash: Bytes
}

export interface Block {
  header: Header
  txs: Tx[]
  /** The precommits that committed block height - 1; null at height 1. */
  lastCommit: Commit | null
}

export type VoteType = 'prevote' | 'precommit'

export interface Vote {
  type: VoteType
  height: number
  round: number
  /** Block hash voted for, or null for nil. */
  blockHash: Bytes | null
  /** 20-byte address of the validator's consensus key. */
  validator: Bytes
  /** 64-byte signature over the vote's signing bytes (domain tag `folio/vote/v1`). */
  signature: Bytes
}

export interface Proposal {
  height: number
  round: number
  /** The round of the proof-of-lock this proposal re-proposes, or -1. */
  validRound: number
  blockHash: Bytes
  proposer: Bytes
  /** 64-byte signature over the proposal's signing bytes (domain tag `folio/proposal/v1`). */
  signature: Bytes
}

export interface CommitSig {
  validator: Bytes
  signature: Bytes
}

/** More than 2/3 of voting power precommitting one block at one round. */
export interface Commit {
  height: number
  round: number
  blockHash: Bytes
  signatures: CommitSig[]
}
