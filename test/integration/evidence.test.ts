/**
 * A double signer is punished end to end: the running node's engine sees two conflicting prevotes
 * from a validator, the evidence module submits `evidence.submit`, the block that carries it
 * slashes and jails the offender, and the offender leaves the validator set two heights later.
 */
import { expect } from 'chai'
import { startTestNode, waitFor, type TestNode } from '../helpers/node.js'
import { devnetGenesis, devnetValidatorKey } from '../../src/node/devnetKeys.js'
import { evidenceModule } from '../../src/node/evidenceModule.js'
import { voteSigningBytes } from '../../src/blocks/index.js'
import type { Vote } from '../../src/blocks/types.js'
import { ed25519Sign, sha256 } from '../../src/crypto/index.js'
import { utf8, bytesEqual } from '../../src/codec/index.js'
import { stateKey, ValidatorRecord } from '../../src/state/index.js'

describe('integration: double-sign evidence is submitted, committed and slashed', function () {
  this.timeout(60_000)
  let t: TestNode

  // validator 0 (this node) holds 100 of 110 power and commits alone; validator 1 is offline
  const genesis = devnetGenesis(2)
  genesis.validators[1].power = 10n

  before(async () => { t = await startTestNode({ genesis, modules: [evidenceModule] }) })
  after(async () => { await t?.stop() })

  it('slashes and jails the offender', async () => {
    const offender = devnetValidatorKey(1)
    const key = stateKey('stk.v', offender.address)
    const before = ValidatorRecord.fromBytes((await t.node.chain.state.get(key))!)
    expect(before.jailed).to.equal(false)

    await waitFor(async () => {
      const status = t.node.engine?.status
      if (status == null) return false
      const vote = (hash: Uint8Array): Vote => {
        const unsigned = { type: 'prevote' as const, height: status.height, round: status.round, blockHash: hash, validator: offender.address }
        return { ...unsigned, signature: ed25519Sign(offender.secretKey, voteSigningBytes(genesis.chainId, unsigned)) }
      }
      t.node.engine?.receiveVote(vote(sha256(utf8('block A'))))
      t.node.engine?.receiveVote(vote(sha256(utf8('block B'))))
      await new Promise(resolve => setTimeout(resolve, 100))
      const rec = await t.node.chain.state.get(key)
      return rec !== undefined && ValidatorRecord.fromBytes(rec).jailed
    }, 20_000, 'the offender to be jailed')

    const after = ValidatorRecord.fromBytes((await t.node.chain.state.get(key))!)
    expect(after.tokens < before.tokens).to.equal(true)
    // 5% (slashFractionBps 500) of 10 FOL
    expect(before.tokens - after.tokens).to.equal(before.tokens * 500n / 10_000n)
    const h = t.node.chain.head().height
    await waitFor(async () => t.node.chain.head().height >= h + 2, 10_000, 'two more blocks')
    const set = t.node.chain.validators(t.node.chain.head().height + 1)
    expect(set.some(v => bytesEqual(v.address, offender.address))).to.equal(false)
  })
})
