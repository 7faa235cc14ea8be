/**
 * folio's consensus layer (MISSION.md §5): a Tendermint engine as a pure state machine over an
 * injected clock, app, network sink, WAL and sign guard. See docs/consensus.md.
 *
 * Wiring (src/node):
 *   const guard = await SignGuard.open(consensusSecretKey, fileBackedSignGuardStore)  // save() must fsync
 *   const engine = new ConsensusEngine({
 *     chainId, clock: { now: Date.now, setTimeout: (ms, fn) => { const t = setTimeout(fn, ms); return () => clearTimeout(t) } },
 *     app: {
 *       validatorSet(height): ValidatorSet,                        // set deciding `height`
 *       proposeBlock(height, round, lastCommit): Promise<{hash, bytes}>,
 *       validateBlock(height, bytes): Promise<hash | null>,        // never throws on bad bytes
 *       commitBlock(height, bytes, commit): Promise<void>          // durable before it resolves
 *     },
 *     sink: { broadcastProposal(proposal, blockBytes), broadcastVote(vote), evidence?(ev) },
 *     wal: WalBackend,                                             // append / sync / readAll / truncate
 *     signer: { address, guard },                                  // omit on a non-validator
 *     height: lastCommittedHeight + 1, lastCommit: commitOfLastHeight | null,
 *     options: devnetConsensusOptions                              // or any Partial<ConsensusOptions>
 *   })
 *   await engine.start()                     // recovers the WAL, replays, starts round 0
 *   engine.receiveProposal(proposal, bytes)  // from gossip (decode with decodeProposal)
 *   engine.receiveVote(vote)                 // from gossip (decodeVote)
 *   engine.status                            // {height, round, step, locked/valid round+hash}
 *   engine.stop()
 * A single validator (N = 1) proposes, prevotes, precommits and commits alone, one block per
 * `minBlockInterval` (1 s in devnetConsensusOptions), empty blocks included.
 *
 * Also: verifyCommit(chainId, valset, commit, expected?) for block sync and light clients;
 * ValidatorSet (thresholds, hash, proposer selection, applyChanges, nextValidatorSet for h + 2);
 * duplicate-vote evidence (verifyEvidence, encode/decode); WAL framing and MemoryWalBackend.
 */
export { ConsensusEngine } from './engine.js'
export type { ConsensusEngineInit } from './engine.js'
export type { ConsensusApp, ConsensusClock, ConsensusLogger, ConsensusSink, ConsensusStatus, ProposedBlock, RoundStep } from './types.js'
export { ConsensusError } from './errors.js'
export type { ConsensusErrorCode } from './errors.js'
export {
  defaultConsensusOptions, devnetConsensusOptions, resolveConsensusOptions, proposeTimeout, prevoteTimeout, precommitTimeout
} from './options.js'
export type { ConsensusOptions } from './options.js'
export { ValidatorSet, nextValidatorSet, MAX_TOTAL_VOTING_POWER } from './validatorSet.js'
export type { Validator, ValidatorInput, ValidatorUpdate } from './validatorSet.js'
export { buildCommit, verifyCommit } from './commit.js'
export { SignGuard, MemorySignGuardStore, compareSignPosition } from './signGuard.js'
export type { LastSigned, SignGuardStore, SignStep } from './signGuard.js'
export {
  makeDuplicateVoteEvidence, verifyEvidence, encodeEvidence, decodeEvidence, evidenceToRlp, evidenceFromRlp, evidenceHash
} from './evidence.js'
export type { DuplicateVoteEvidence } from './evidence.js'
export { encodeWalRecord, readWalRecords, crc32, MemoryWalBackend, MAX_WAL_RECORD_BYTES } from './wal.js'
export type { WalBackend, WalReadResult } from './wal.js'
export { HeightVoteSet, VoteSet } from './voteSet.js'
