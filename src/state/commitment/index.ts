/**
 * The state commitment: a bucketed Merkle tree over SHA-256 that gives a root over all state and
 * proofs of any key's value or absence (MISSION.md §4, docs/state-commitment.md). The proof
 * functions are pure and browser-safe; StateCommitment keeps the tree over an injected KVStore.
 */
export { StateCommitment } from './stateCommitment.js'
export type { StateCommitmentOptions, StateCommitmentStats } from './stateCommitment.js'
export { verifyStateProof, stateProofToJSON, stateProofFromJSON, MAX_PROOF_PAIRS } from './proof.js'
export type { StateProof, StateProofJSON } from './proof.js'
export { EMPTY_STATE_ROOT, BUCKET_COUNT, TREE_DEPTH, PAIR_BYTES } from './layout.js'
export { StateCommitmentError } from './errors.js'
export type { StateCommitmentErrorCode } from './errors.js'
