/**
 * Transaction types of staking and evidence (MISSION.md §4): validator.create, stake.delegate,
 * stake.undelegate and evidence.submit. Shapes only; the rules that need state (self-stake
 * minimum, unique consensus keys, unbonding, slashing) live in src/state/staking.
 */
import { bytes, string, struct, uint, type Infer } from '../../codec/schema.js'
import { registerTxType } from '../txTypes.js'

export const STAKING_LIMITS = {
  monikerChars: 64,
  /** Two votes of ~170 bytes each in RLP; generous so that a larger vote format still fits. */
  evidenceBytes: 2048
} as const

export const ValidatorCreateBody = struct({
  /** Ed25519 public key the validator signs votes and proposals with. */
  consensusKey: bytes({ len: 32 }),
  /** X25519 public key that key-escrow shares are sealed to (MISSION.md §8). */
  escrowKey: bytes({ len: 32 }),
  /** ufol moved from the sender (the operator) into the validator's bonded stake. */
  selfStake: uint(),
  moniker: string({ max: STAKING_LIMITS.monikerChars })
})
export type ValidatorCreateBodyValue = Infer<typeof ValidatorCreateBody>

/** `validator` is the validator's consensus address (20 bytes of SHA-256 of its consensus key). */
export const StakeBody = struct({ validator: bytes({ len: 20 }), amount: uint() })
export type StakeBodyValue = Infer<typeof StakeBody>

/** The duplicate-vote evidence in its canonical RLP encoding (see src/consensus/evidence.ts). */
export const EvidenceSubmitBody = struct({ evidence: bytes({ max: STAKING_LIMITS.evidenceBytes }) })
export type EvidenceSubmitBodyValue = Infer<typeof EvidenceSubmitBody>

registerTxType('validator.create', ValidatorCreateBody)
registerTxType('stake.delegate', StakeBody)
registerTxType('stake.undelegate', StakeBody)
registerTxType('evidence.submit', EvidenceSubmitBody)
