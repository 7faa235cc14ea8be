/**
 * `evidence.submit` (MISSION.md §4, §5): proof that a validator signed two different votes for one
 * (height, round, type). The offender is slashed `slashFractionBps` of its bonded tokens — every
 * delegator's stake shrinks in proportion — and of every undelegation it started after the
 * offence (so unbonding cannot outrun the evidence), jailed for good (out of the set from
 * height + 2), and the submitter paid `evidenceRewardBps` of the slashed amount; the rest is
 * burned and recorded as such. Each offence is punished once (its hash is recorded) and only
 * within `evidenceMaxAge` blocks, while its height's validator set is still kept.
 *
 * The encoding and checks restate src/consensus/evidence.ts over blocks-layer primitives, since
 * state sits below consensus; test/unit/staking/evidence.test.ts checks the bytes agree.
 */
import { bytesEqual, compareBytes, rlpDecode, rlpEncode, expectList, toHex } from '../../codec/index.js'
import { ed25519Verify, encodeAddress, sha256 } from '../../crypto/index.js'
import { encodeVote, voteFromRlp, voteSigningBytes, voteToRlp, STAKING_LIMITS } from '../../blocks/index.js'
import type { Vote } from '../../blocks/types.js'
import { registerTxHandler, type TxContext } from '../registry.js'
import { credit } from '../accounts.js'
import { StateError } from '../errors.js'
import {
  BPS, EvidenceRecord, stakingKeys, requireValidator, putValidator, getUnbonding, putUnbonding, getSupply, putSupply,
  evidenceMaxAge
} from './records.js'
import { validatorSetAt } from './validatorSetRecord.js'

/** Structurally the consensus layer's DuplicateVoteEvidence. */
export interface VotePair {
  voteA: Vote
  voteB: Vote
}

/** The canonical bytes: RLP [voteA, voteB], the pair ordered by encoded vote. */
export function encodeVotePair (ev: VotePair): Uint8Array {
  const [a, b] = compareBytes(encodeVote(ev.voteA), encodeVote(ev.voteB)) <= 0 ? [ev.voteA, ev.voteB] : [ev.voteB, ev.voteA]
  return rlpEncode([voteToRlp(a), voteToRlp(b)])
}

/** The `evidence.submit` body for a duplicate-vote evidence (e.g. from the consensus engine's sink). */
export function buildEvidenceTx (ev: VotePair): { evidence: Uint8Array } {
  return { evidence: encodeVotePair(ev) }
}

function refuse (msg: string): never {
  throw new StateError('INVALID_TX', `evidence: ${msg}`)
}

/** Decodes and checks the shape; only the canonical encoding is accepted, so one offence has one hash. */
export function decodeVotePair (bytes: Uint8Array): VotePair {
  let ev: VotePair
  try {
    const f = expectList(rlpDecode(bytes, STAKING_LIMITS.evidenceBytes), 'duplicate-vote evidence', 2)
    ev = { voteA: voteFromRlp(f[0]!), voteB: voteFromRlp(f[1]!) }
  } catch (err) {
    refuse(`does not decode: ${(err as Error).message}`)
  }
  if (compareBytes(encodeVote(ev.voteA), encodeVote(ev.voteB)) >= 0) refuse('votes are not two different votes in canonical order')
  if (!bytesEqual(encodeVotePair(ev), bytes)) refuse('not in canonical encoding')
  return ev
}

registerTxHandler({
  type: 'evidence.submit',
  readSet: () => [stakingKeys.supply],
  apply: async (ctx: TxContext) => {
    const bytes = ctx.tx.body.evidence as Uint8Array
    const { voteA: a, voteB: b } = decodeVotePair(bytes)
    const hash = sha256(bytes)
    // Rule: each offence is punished once.
    if (await ctx.state.has(stakingKeys.evidence(hash))) {
      throw new StateError('ALREADY_EXISTS', `evidence ${toHex(hash)} was already submitted`)
    }
    // Rule: the two votes conflict — one validator, one (height, round, type), two different blocks.
    if (!bytesEqual(a.validator, b.validator)) refuse('votes are from different validators')
    if (a.height !== b.height || a.round !== b.round || a.type !== b.type) refuse('votes are for different heights, rounds or types')
    const sameBlock = a.blockHash === null || b.blockHash === null ? a.blockHash === b.blockHash : bytesEqual(a.blockHash, b.blockHash)
    if (sameBlock) refuse('votes are for the same block')
    // Rule: recent offences only — the set of that height must still be known, and stake still slashable.
    const maxAge = evidenceMaxAge(ctx.params)
    if (a.height > ctx.height) refuse(`votes are for height ${a.height}, beyond this block ${ctx.height}`)
    if (a.height < 1 || ctx.height - a.height > maxAge) {
      throw new StateError('NOT_ALLOWED', `evidence for height ${a.height} is older than ${maxAge} blocks and no longer accepted`)
    }
    // Rule: both votes are validly signed by a member of the set of that height.
    const set = await validatorSetAt(ctx.state, a.height)
    const member = set.find(m => bytesEqual(m.address, a.validator))
    if (member === undefined) refuse(`${encodeAddress(a.validator)} was not a validator at height ${a.height}`)
    for (const v of [a, b]) {
      if (!ed25519Verify(member.publicKey, voteSigningBytes(ctx.chainId, v), v.signature)) refuse('a vote has an invalid signature')
    }
    const offender = await requireValidator(ctx.state, a.validator)
    // Rule: a jailed validator is tombstoned; a second offence adds nothing to punish.
    if (offender.jailed) throw new StateError('NOT_ALLOWED', `validator ${encodeAddress(a.validator)} is already jailed`)

    const bps = BigInt(ctx.params.slashFractionBps)
    const fromBonded = offender.tokens * bps / BPS
    putValidator(ctx.state, a.validator, { ...offender, tokens: offender.tokens - fromBonded, jailed: true })
    const fromUnbonding = await slashUnbonding(ctx, a.validator, a.height, bps)
    const slashed = fromBonded + fromUnbonding
    const reward = slashed * BigInt(ctx.params.evidenceRewardBps) / BPS
    await credit(ctx.state, ctx.sender, reward)
    const burned = slashed - reward
    const s = await getSupply(ctx.state)
    putSupply(ctx.state, {
      supply: s.supply - burned,
      burned: s.burned + burned,
      bonded: s.bonded - fromBonded,
      unbonding: s.unbonding - fromUnbonding
    })
    ctx.state.put(stakingKeys.evidence(hash), EvidenceRecord.toBytes({ height: ctx.height, offender: a.validator, slashed }))
  }
})

/**
 * Slashes the offender's undelegations started after the offence height. They mature within
 * (offence + unbondingBlocks, now + unbondingBlocks]; evidence is accepted for at most
 * min(unbondingBlocks, 1000) blocks, so none has been paid out yet and the scan reads at most
 * that many queue records.
 */
async function slashUnbonding (ctx: TxContext, offender: Uint8Array, offenceHeight: number, bps: bigint): Promise<bigint> {
  const u = ctx.params.unbondingBlocks
  const first = offenceHeight + 1 + u
  const last = ctx.height + u
  const heights: number[] = []
  for (let h = first; h <= last; h++) heights.push(h)
  await ctx.state.prefetch(heights.map(h => stakingKeys.unbonding(h)))
  let total = 0n
  for (const h of heights) {
    const entries = await getUnbonding(ctx.state, h)
    let touched = false
    for (const e of entries) {
      if (!bytesEqual(e.validator, offender) || e.startHeight <= offenceHeight) continue
      const cut = e.amount * bps / BPS
      if (cut === 0n) continue
      e.amount -= cut
      total += cut
      touched = true
    }
    if (touched) putUnbonding(ctx.state, h, entries)
  }
  return total
}
