import { expect } from 'chai'
import fc from 'fast-check'
import { stakingKeys, StateError } from '../../../src/state/index.js'
import { makeDuplicateVoteEvidence } from '../../../src/consensus/index.js'
import { buildEvidenceTx } from '../../../src/state/index.js'
import { sha256 } from '../../../src/crypto/index.js'
import { utf8 } from '../../../src/codec/index.js'
import {
  FOL, openStakingChain, Sender, commit, expectSupplyConserved, consensusKey, signedVote, users, genesisKeys
} from './fixture.js'

const extraKeys = [consensusKey('s0'), consensusKey('s1')]
const validators = [...genesisKeys, ...extraKeys].map(k => k.address)

type Op =
  | { kind: 'create', who: number, key: number, stake: bigint }
  | { kind: 'delegate' | 'undelegate', who: number, validator: number, amount: bigint }
  | { kind: 'evidence', who: number, validator: number, back: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), who: fc.nat(5), key: fc.nat(1), stake: fc.bigInt(FOL / 2n, 20n * FOL) }),
  fc.record({ kind: fc.constantFrom('delegate' as const, 'undelegate' as const), who: fc.nat(5), validator: fc.nat(3), amount: fc.bigInt(1n, 15n * FOL) }),
  fc.record({ kind: fc.constant('evidence' as const), who: fc.nat(5), validator: fc.nat(3), back: fc.nat(3) })
)

describe('staking: supply accounting', () => {
  it('balances + bonded + unbonding = supply, and supply + burned = genesis supply, across random staking, unbonding and slashing', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(op, { maxLength: 4 }), { minLength: 1, maxLength: 10 }), async (blocks) => {
      const chain = await openStakingChain({ unbondingBlocks: 3 })
      const s = new Sender()
      const keys = [...genesisKeys, ...extraKeys]
      for (const spec of blocks) {
        const next = chain.head().height + 1
        const txs = spec.map(o => {
          if (o.kind === 'create') {
            return s.tx(users[o.who]!, 'validator.create', { consensusKey: extraKeys[o.key]!.publicKey, escrowKey: new Uint8Array(32).fill(5), selfStake: o.stake, moniker: 'p' })
          }
          if (o.kind === 'evidence') {
            const h = Math.max(1, next - o.back)
            const ev = makeDuplicateVoteEvidence(
              signedVote(keys[o.validator]!, h, 0, 'prevote', sha256(utf8('x'))),
              signedVote(keys[o.validator]!, h, 0, 'prevote', null))
            return s.tx(users[o.who]!, 'evidence.submit', buildEvidenceTx(ev))
          }
          return s.tx(users[o.who]!, `stake.${o.kind}`, { validator: validators[o.validator]!, amount: o.amount })
        })
        await commit(chain, txs)
        await expectSupplyConserved(chain)
      }
      // let every undelegation mature, then check again
      for (let i = 0; i < 4; i++) await commit(chain)
      await expectSupplyConserved(chain)
    }), { numRuns: 40 })
  })

  it('keeps validator-set records only for the evidence window', async () => {
    const chain = await openStakingChain({ unbondingBlocks: 4 })
    for (let i = 0; i < 10; i++) await commit(chain)
    expect(await chain.state.get(stakingKeys.set(5))).to.equal(undefined)
    expect(await chain.state.get(stakingKeys.set(6))).to.not.equal(undefined)
    expect(await chain.state.get(stakingKeys.set(12))).to.not.equal(undefined)
    expect(() => chain.validators(5)).to.throw(StateError, /no longer kept/)
    expect(chain.validators(6)).to.have.length(2)
  })
})
