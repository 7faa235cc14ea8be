/**
 * Gossip validation verdicts: what is accepted, what is ignored without blame (stale, too far
 * ahead, not admitted for state reasons) and what is rejected and scored against the sender
 * (undecodable, non-validator, bad signature, forged block).
 */
import { expect } from 'chai'
import { ValidatorSet } from '../../../src/consensus/index.js'
import { encodeVote, encodeProposal, voteSigningBytes, proposalSigningBytes, encodeBlock, blockHash } from '../../../src/blocks/index.js'
import type { Vote, Proposal, Block } from '../../../src/blocks/types.js'
import { ed25519Sign } from '../../../src/crypto/index.js'
import { devnetValidatorKey } from '../../../src/node/devnetKeys.js'
import { MempoolError } from '../../../src/mempool/index.js'
import {
  validateVoteMessage, validateProposalMessage, admitTxMessage, encodeProposalMessage, type GossipChainView,
  encodeTxBatch, decodeTxBatch, MAX_TXS_PER_MESSAGE
} from '../../../src/network/gossipValidation.js'
import { GossipValidationError } from '../../../src/network/errors.js'

const CHAIN = 'folio-test-1'
const keys = [0, 1, 2, 3].map(devnetValidatorKey)
const outsider = devnetValidatorKey(9)
const valset = new ValidatorSet(keys.map(k => ({ address: k.address, publicKey: k.publicKey, power: 100n })))

function view (head = 4): GossipChainView {
  return { chainId: CHAIN, headHeight: () => head, validatorSet: () => valset, maxBlockBytes: 1 << 20 }
}

function vote (height: number, signer = keys[0]!, chainId = CHAIN): Vote {
  const unsigned = { type: 'prevote' as const, height, round: 0, blockHash: new Uint8Array(32).fill(7), validator: signer.address }
  return { ...unsigned, signature: ed25519Sign(signer.secretKey, voteSigningBytes(chainId, unsigned)) }
}

function verdict (fn: () => unknown): string {
  try {
    fn()
    return 'accept'
  } catch (err) {
    expect(err).to.be.instanceOf(GossipValidationError)
    const e = err as GossipValidationError
    return `${e.action}:${e.code}`
  }
}

function block (height: number): Block {
  return {
    header: {
      chainId: CHAIN, height, time: 1, prevHash: new Uint8Array(32), txRoot: new Uint8Array(32), stateRoot: new Uint8Array(32),
      validatorsHash: valset.hash(), proposer: keys[1]!.address, lastCommitHash: new Uint8Array(32)
    },
    txs: [],
    lastCommit: null
  }
}

function proposal (b: Block, signer = keys[1]!): Proposal {
  const unsigned = { height: b.header.height, round: 0, validRound: -1, blockHash: blockHash(b.header), proposer: signer.address }
  return { ...unsigned, signature: ed25519Sign(signer.secretKey, proposalSigningBytes(CHAIN, unsigned)) }
}

describe('network/gossipValidation', () => {
  it('accepts a validator\'s vote for the height being decided, or one around it', () => {
    for (const h of [4, 5, 6]) expect(verdict(() => validateVoteMessage(view(4), encodeVote(vote(h))))).to.equal('accept')
  })

  it('ignores stale and far-future votes without blaming the sender', () => {
    expect(verdict(() => validateVoteMessage(view(4), encodeVote(vote(3))))).to.equal('ignore:STALE')
    expect(verdict(() => validateVoteMessage(view(4), encodeVote(vote(7))))).to.equal('ignore:FUTURE')
  })

  it('rejects votes from non-validators, with bad signatures, for another chain, or undecodable', () => {
    expect(verdict(() => validateVoteMessage(view(), encodeVote(vote(5, outsider))))).to.equal('reject:UNKNOWN_VALIDATOR')
    const forged = { ...vote(5), signature: vote(5, keys[1]).signature }
    expect(verdict(() => validateVoteMessage(view(), encodeVote(forged)))).to.equal('reject:BAD_SIGNATURE')
    expect(verdict(() => validateVoteMessage(view(), encodeVote(vote(5, keys[0], 'other-chain'))))).to.equal('reject:BAD_SIGNATURE')
    expect(verdict(() => validateVoteMessage(view(), new Uint8Array([0xc1, 2, 3])))).to.equal('reject:MALFORMED')
  })

  it('accepts a signed proposal carrying its block, and rejects one whose block was swapped', () => {
    const b = block(5)
    const p = proposal(b)
    const ok = validateProposalMessage(view(), encodeProposalMessage(encodeProposal(p), encodeBlock(b)))
    expect(ok.proposal.height).to.equal(5)
    const other = block(5)
    other.header.time = 2
    expect(verdict(() => validateProposalMessage(view(), encodeProposalMessage(encodeProposal(p), encodeBlock(other))))).to.equal('reject:HASH_MISMATCH')
    expect(verdict(() => validateProposalMessage(view(), encodeProposalMessage(encodeProposal(proposal(b, outsider)), encodeBlock(b))))).to.equal('reject:UNKNOWN_VALIDATOR')
  })

  it('rejects proposal envelopes that are not exactly {p, b}', async () => {
    const { packRecord } = await import('../../../src/codec/index.js')
    const b = block(5)
    const extra = packRecord({ p: encodeProposal(proposal(b)), b: encodeBlock(b), x: 1 })
    expect(verdict(() => validateProposalMessage(view(), extra))).to.equal('reject:MALFORMED')
    expect(verdict(() => validateProposalMessage(view(), packRecord([1, 2])))).to.equal('reject:MALFORMED')
  })

  it('maps mempool refusals: INVALID is rejected, state-dependent refusals are ignored', async () => {
    const refuse = (code: 'INVALID' | 'NONCE_GAP' | 'DUPLICATE' | 'FULL') => async () => { throw new MempoolError(code, code) }
    const run = async (fn: () => Promise<unknown>): Promise<string> => {
      try {
        await admitTxMessage(fn, new Uint8Array(1))
        return 'accept'
      } catch (err) {
        return `${(err as GossipValidationError).action}:${(err as GossipValidationError).code}`
      }
    }
    expect(await run(async () => {})).to.equal('accept')
    expect(await run(refuse('INVALID'))).to.equal('reject:INVALID_TX')
    for (const code of ['NONCE_GAP', 'DUPLICATE', 'FULL'] as const) expect(await run(refuse(code))).to.equal('ignore:TX_NOT_ADMITTED')
  })

  it('takes a transaction batch only as a canonical list of 1 to MAX_TXS_PER_MESSAGE byte strings', async () => {
    const { rlpEncode } = await import('../../../src/codec/index.js')
    const txs = [new Uint8Array([1, 2, 3]), new Uint8Array(200).fill(9)]
    expect(decodeTxBatch(encodeTxBatch(txs), 1024)).to.deep.equal(txs)
    expect(verdict(() => decodeTxBatch(rlpEncode([]), 1024))).to.equal('reject:MALFORMED')
    expect(verdict(() => decodeTxBatch(rlpEncode(new Uint8Array([1])), 1024))).to.equal('reject:MALFORMED')
    expect(verdict(() => decodeTxBatch(rlpEncode([new Uint8Array([1]), [new Uint8Array([2])]]), 1024))).to.equal('reject:MALFORMED')
    expect(verdict(() => decodeTxBatch(new Uint8Array([0xc3, 0x01]), 1024))).to.equal('reject:MALFORMED')
    expect(verdict(() => decodeTxBatch(encodeTxBatch(txs), 64))).to.equal('reject:MALFORMED')
    const many = Array.from({ length: MAX_TXS_PER_MESSAGE + 1 }, () => new Uint8Array([7]))
    expect(verdict(() => decodeTxBatch(encodeTxBatch(many), 1 << 20))).to.equal('reject:MALFORMED')
    expect(decodeTxBatch(encodeTxBatch(many.slice(1)), 1 << 20)).to.have.length(MAX_TXS_PER_MESSAGE)
  })
})
