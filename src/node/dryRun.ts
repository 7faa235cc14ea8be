/**
 * Runs one transaction against committed state in a throwaway overlay, so that `tx_send` can
 * refuse a transaction whose body would fail (an unfollow of a non-followed account, a transfer
 * beyond the balance) with the state machine's own message, before it costs the sender a fee.
 */
import type { Tx } from '../blocks/types.js'
import { executeTx, type Chain } from '../state/index.js'
import { FolioError } from '../errors.js'

export class DryRunError extends FolioError<string> {}

export async function dryRunTx (chain: Chain, tx: Tx): Promise<void> {
  const overlay = chain.overlay()
  const head = chain.head()
  const env = {
    chainId: chain.chainId,
    height: head.height + 1,
    time: Math.max(Date.now(), head.time),
    proposer: new Uint8Array(20),
    params: chain.params
  }
  const { result } = await executeTx(overlay, tx, 0, env)
  if (!result.ok) throw new DryRunError(result.code ?? 'REJECTED', result.message ?? 'rejected')
}
