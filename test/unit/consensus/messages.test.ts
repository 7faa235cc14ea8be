/**
 * Consensus message encodings (src/blocks/consensusMessages.ts), commits and duplicate-vote
 * evidence: canonical round trips, strict decoders, domain-separated signing bytes, and
 * verification that refuses exactly 2/3, duplicates, strangers and bad signatures.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { CodecError } from '../../../src/codec/errors.js'
import { rlpEncode } from '../../../src/codec/rlp.js'
import { ed25519Sign } from '../../../src/crypto/index.js'
import {
  commitHash, decodeCommit, decodeProposal, decodeVote, encodeCommit, encodeProposal, encodeVote,
  proposalSigningBytes, voteSigningBytes, voteToRlp
} from '../../../src/blocks/consensusMessages.js'
import type { Commit, Vote } from '../../../src/blocks/types.js'
import { buildCommit, verifyCommit } from '../../../src/consensus/commit.js'
import { ConsensusError } from '../../../src/consensus/errors.js'
import { decodeEvidence, encodeEvidence, makeDuplicateVoteEvidence, verifyEvidence } from '../../../src/consensus/evidence.js'
import { ValidatorSet } from '../../../src/consensus/validatorSet.js'
import { simKey } from './sim.js'

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n })
const arbVote = fc.record({
  type: fc.constantFrom('prevote' as const, 'precommit' as const),
  height: fc.integer({ min: 0, max: 2 ** 40 }),
  round: fc.integer({ min: 0, max: 10_000 }),
  blockHash: fc.option(bytes(32), { nil: null }),
  validator: bytes(20),
  signature: bytes(64)
})
const arbProposal = fc.integer({ min: 0, max: 1000 }).chain(round => fc.record({
  height: fc.integer({ min: 1, max: 2 ** 40 }),
  round: fc.constant(round),
  validRound: fc.integer({ min: -1, max: round - 1 }),
  blockHash: bytes(32),
  proposer: bytes(20),
  signature: bytes(64)
}))

function codecError (fn: () => unknown): void {
  expect(fn).to.throw(CodecError)
}

const keys = [0, 1, 2, 3].map(i => simKey(`msg-${i}`))
const valset = new ValidatorSet(keys.map(k => ({ address: k.address, publicKey: k.publicKey, power: 1n })))
const H = new Uint8Array(32).fill(9)

function precommit (i: number, blockHash: Uint8Array | null, chainId = 'c', round = 0): Vote {
  const unsigned = { type: 'precommit' as const, height: 4, round, blockHash, validator: keys[i]!.address }
  return { ...unsigned, signature: ed25519Sign(keys[i]!.secretKey, voteSigningBytes(chainId, unsigned)) }
}

function verifyCode (commit: Commit): string | undefined {
  try {
    verifyCommit('c', valset, commit)
    return undefined
  } catch (err) {
    expect(err).to.be.instanceOf(ConsensusError)
    return (err as ConsensusError).code
  }
}

describe('consensus messages', () => {
  it('round-trips votes and proposals canonically (property)', () => {
    fc.assert(fc.property(arbVote, v => {
      const e = encodeVote(v)
      expect(decodeVote(e)).to.deep.equal(v)
      expect(encodeVote(decodeVote(e))).to.deep.equal(e)
    }))
    fc.assert(fc.property(arbProposal, p => {
      expect(decodeProposal(encodeProposal(p))).to.deep.equal(p)
    }))
  })

  it('round-trips commits and hashes them', () => {
    const c: Commit = { height: 4, round: 1, blockHash: H, signatures: [{ validator: keys[0]!.address, signature: new Uint8Array(64) }] }
    expect(decodeCommit(encodeCommit(c))).to.deep.equal(c)
    expect(commitHash(c)).to.have.length(32)
    expect(commitHash({ ...c, round: 2 })).to.not.deep.equal(commitHash(c))
  })

  it('rejects malformed bytes with CodecError only (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), b => {
      for (const decode of [decodeVote, decodeProposal, decodeEvidence]) {
        try { decode(b) } catch (err) { expect(err).to.be.instanceOf(CodecError) }
      }
    }), { numRuns: 300 })
    const v: Vote = { type: 'prevote', height: 1, round: 0, blockHash: null, validator: new Uint8Array(20), signature: new Uint8Array(64) }
    const e = encodeVote(v)
    codecError(() => decodeVote(Uint8Array.from([...e, 0])))
    codecError(() => decodeVote(rlpEncode([Uint8Array.of(3), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(20), new Uint8Array(64)])))
    codecError(() => decodeVote(rlpEncode([Uint8Array.of(1), new Uint8Array(0), new Uint8Array(0), new Uint8Array(31), new Uint8Array(20), new Uint8Array(64)])))
    codecError(() => decodeVote(rlpEncode([Uint8Array.of(1), Uint8Array.of(0, 1), new Uint8Array(0), new Uint8Array(0), new Uint8Array(20), new Uint8Array(64)])))
    // A valid round not below the round is not a proof of lock.
    codecError(() => decodeProposal(rlpEncode([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3), H, new Uint8Array(20), new Uint8Array(64)])))
  })

  it('separates signing domains and chains', () => {
    const v = { type: 'prevote' as const, height: 1, round: 0, blockHash: H, validator: keys[0]!.address }
    const p = { height: 1, round: 0, validRound: -1, blockHash: H, proposer: keys[0]!.address }
    expect(voteSigningBytes('a', v)).to.not.deep.equal(voteSigningBytes('b', v))
    expect(voteSigningBytes('a', v)).to.not.deep.equal(voteSigningBytes('a', { ...v, type: 'precommit' }))
    expect(voteSigningBytes('a', v)).to.not.deep.equal(proposalSigningBytes('a', p))
    expect(new TextDecoder().decode(voteSigningBytes('a', v))).to.contain('folio/vote/v1')
    expect(new TextDecoder().decode(proposalSigningBytes('a', p))).to.contain('folio/proposal/v1')
  })
})

describe('verifyCommit', () => {
  it('accepts more than 2/3 and refuses exactly 2/3', () => {
    const three = buildCommit(4, 0, H, [0, 1, 2].map(i => precommit(i, H)))
    expect(verifyCode(three)).to.equal(undefined)
    const weighted = new ValidatorSet(keys.slice(0, 3).map(k => ({ address: k.address, publicKey: k.publicKey, power: 2n })))
    const twoOfThree = buildCommit(4, 0, H, [0, 1].map(i => precommit(i, H)))
    expect(() => verifyCommit('c', weighted, twoOfThree)).to.throw(ConsensusError).with.property('code', 'INSUFFICIENT_POWER')
    const exactlyTwoThirds = new ValidatorSet(keys.slice(0, 3).map((k, i) => ({ address: k.address, publicKey: k.publicKey, power: i === 2 ? 2n : 1n })))
    const sig2 = buildCommit(4, 0, H, [precommit(2, H)])
    expect(() => verifyCommit('c', exactlyTwoThirds, sig2)).to.throw(ConsensusError).with.property('code', 'INSUFFICIENT_POWER')
    expect(() => verifyCommit('c', exactlyTwoThirds, buildCommit(4, 0, H, [precommit(0, H), precommit(2, H)]))).to.not.throw()
  })

  it('refuses duplicates, strangers, bad signatures, other chains and other blocks', () => {
    const good = buildCommit(4, 0, H, [0, 1, 2].map(i => precommit(i, H)))
    expect(verifyCode({ ...good, signatures: [...good.signatures, good.signatures[0]!] })).to.equal('DUPLICATE_SIGNATURE')
    const stranger = simKey('stranger')
    expect(verifyCode({ ...good, signatures: [...good.signatures, { validator: stranger.address, signature: new Uint8Array(64) }] })).to.equal('UNKNOWN_VALIDATOR')
    expect(verifyCode({ ...good, round: 1 })).to.equal('INVALID_SIGNATURE')
    expect(verifyCode(buildCommit(4, 0, H, [0, 1, 2].map(i => precommit(i, H, 'other'))))).to.equal('INVALID_SIGNATURE')
    expect(() => verifyCommit('c', valset, good, { blockHash: new Uint8Array(32) })).to.throw(ConsensusError).with.property('code', 'INVALID_COMMIT')
    expect(() => verifyCommit('c', valset, good, { height: 5 })).to.throw(ConsensusError).with.property('code', 'INVALID_COMMIT')
    // Nil precommits never make it into a commit.
    expect(buildCommit(4, 0, H, [precommit(0, null), precommit(1, H)]).signatures).to.have.length(1)
  })
})

describe('duplicate-vote evidence', () => {
  it('verifies a real double sign and round-trips in canonical order', () => {
    const ev = makeDuplicateVoteEvidence(precommit(1, H), precommit(1, null))
    verifyEvidence('c', valset, ev)
    expect(decodeEvidence(encodeEvidence(ev))).to.deep.equal(ev)
    expect(makeDuplicateVoteEvidence(ev.voteB, ev.voteA)).to.deep.equal(ev)
    const swapped = rlpEncode([voteToRlp(ev.voteB), voteToRlp(ev.voteA)])
    codecError(() => decodeEvidence(swapped))
  })

  it('rejects pairs that are not an offence', () => {
    const code = (a: Vote, b: Vote): string => {
      try { verifyEvidence('c', valset, makeDuplicateVoteEvidence(a, b)); return 'ok' } catch (err) { return (err as ConsensusError).code }
    }
    expect(code(precommit(1, H), precommit(2, null))).to.equal('INVALID_EVIDENCE')
    expect(code(precommit(1, H), precommit(1, null, 'c', 1))).to.equal('INVALID_EVIDENCE')
    expect(code(precommit(1, H), { ...precommit(1, null), signature: new Uint8Array(64) })).to.equal('INVALID_EVIDENCE')
    expect(() => makeDuplicateVoteEvidence(precommit(1, H), precommit(1, H))).to.throw(ConsensusError)
    const outsider = new ValidatorSet([keys[0]!].map(k => ({ address: k.address, publicKey: k.publicKey, power: 1n })))
    expect(() => verifyEvidence('c', outsider, makeDuplicateVoteEvidence(precommit(1, H), precommit(1, null)))).to.throw(ConsensusError)
  })
})
