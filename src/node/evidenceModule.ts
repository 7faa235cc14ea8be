/**
 * Punishing double signers (MISSION.md §5): when the consensus engine sees two conflicting votes
 * from one validator, or a peer gossips verified evidence, a validating node submits
 * `evidence.submit` signed by its consensus-key account. The transaction enters this node's
 * mempool, which gossips it like any other; the first inclusion slashes and jails the offender and
 * rewards the submitter, later copies fail with ALREADY_EXISTS.
 */
import { buildEvidenceTx, accountKey, decodeAccount, minFee, stateKey } from '../state/index.js'
import { evidenceHash, type DuplicateVoteEvidence } from '../consensus/index.js'
import { signTx, encodeTx } from '../blocks/index.js'
import { toHex } from '../codec/index.js'
import { errorMessage } from '../errors.js'
import type { NodeModule } from './modules.js'
import { networkHandle } from './networkModule.js'

export const evidenceModule: NodeModule = {
  name: 'evidence',
  start: async (ctx) => {
    const key = ctx.validatorKey
    if (key === null) return {}
    const seen = new Set<string>()
    const submit = (ev: DuplicateVoteEvidence): void => {
      const id = toHex(evidenceHash(ev))
      if (seen.has(id)) return
      seen.add(id)
      void (async () => {
        if (await ctx.chain.state.get(stateKey('stk.e', evidenceHash(ev))) !== undefined) return
        const acct = decodeAccount(await ctx.chain.state.get(accountKey(key.address)))
        const nonce = acct.nonce + BigInt(ctx.mempool.pendingOf(key.address))
        const unsigned = { type: 'evidence.submit', chainId: ctx.chain.chainId, from: key.publicKey, nonce, fee: 0n, body: buildEvidenceTx(ev) }
        let tx = signTx(unsigned, key.secretKey)
        tx = signTx({ ...unsigned, fee: minFee(ctx.chain.params, encodeTx(tx).length + 8) }, key.secretKey)
        await ctx.mempool.add(tx)
        ctx.log.warn({ evidence: id, height: ev.voteA.height }, 'double signing detected; evidence submitted')
      })().catch((err) => ctx.log.warn({ err: errorMessage(err), evidence: id }, 'could not submit evidence'))
    }
    ctx.consensus.addSink({ broadcastProposal: () => {}, broadcastVote: () => {}, evidence: submit })
    // evidence gossiped by peers has been verified against the validator set by the network layer
    networkHandle(ctx.config.home)?.network.onEvidence(submit)
    return {}
  }
}
