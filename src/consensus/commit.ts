/**
 * Commits: building one from the precommits that decided a block, and verifying one received with
 * a block (block sync, light clients, the next block's lastCommit). A commit is valid when the
 * signatures it carries — each a precommit for its (height, round, blockHash) — come from distinct
 * validators of the height's set and add up to more than 2/3 of its power.
 */
import { bareHex, bytesEqual } from '../codec/hex.js'
import { ed25519Verify } from '../crypto/index.js'
import { commitSigToVote, voteSigningBytes } from '../blocks/consensusMessages.js'
import type { Commit, Vote } from '../blocks/types.js'
import { ConsensusError } from './errors.js'
import type { ValidatorSet } from './validatorSet.js'

/** The commit for `blockHash` from precommits of one round (given in validator-set order). */
export function buildCommit (height: number, round: number, blockHash: Uint8Array, precommits: readonly Vote[]): Commit {
  return {
    height,
    round,
    blockHash,
    signatures: precommits
      .filter(v => v.type === 'precommit' && v.height === height && v.round === round && v.blockHash !== null && bytesEqual(v.blockHash, blockHash))
      .map(v => ({ validator: v.validator, signature: v.signature }))
  }
}

/**
 * Throws a ConsensusError unless `commit` carries valid signatures of more than 2/3 of `valset`'s
 * power. `expected`, when given, pins the height and block the caller is verifying.
 */
export function verifyCommit (
  chainId: string,
  valset: ValidatorSet,
  commit: Commit,
  expected?: { height?: number, blockHash?: Uint8Array }
): void {
  if (expected?.height !== undefined && commit.height !== expected.height) {
    throw new ConsensusError('INVALID_COMMIT', `commit is for height ${commit.height}, expected ${expected.height}`)
  }
  if (expected?.blockHash !== undefined && !bytesEqual(commit.blockHash, expected.blockHash)) {
    throw new ConsensusError('INVALID_COMMIT', 'commit is for a different block')
  }
  const seen = new Set<string>()
  let power = 0n
  for (const sig of commit.signatures) {
    const key = bareHex(sig.validator)
    if (seen.has(key)) throw new ConsensusError('DUPLICATE_SIGNATURE', `validator ${key} signs the commit twice`)
    seen.add(key)
    const validator = valset.get(sig.validator)
    if (validator === undefined) throw new ConsensusError('UNKNOWN_VALIDATOR', `commit signature from unknown validator ${key}`)
    const vote = commitSigToVote(commit, sig)
    if (!ed25519Verify(validator.publicKey, voteSigningBytes(chainId, vote), sig.signature)) {
      throw new ConsensusError('INVALID_SIGNATURE', `invalid commit signature from validator ${key}`)
    }
    power += validator.power
  }
  if (!valset.hasTwoThirds(power)) {
    throw new ConsensusError('INSUFFICIENT_POWER', `commit carries ${power} of ${valset.totalPower} voting power, not more than 2/3`)
  }
}
