/**
 * Runs transactions against a block overlay. Each transaction first passes admission (the nonce is
 * the sender's next, the balance covers the fee); then the fee moves to the proposer and the nonce
 * advances; then the body runs under a checkpoint. A body that throws is reverted and recorded as
 * failed — the fee stays paid, as a spam deterrent. A transaction that fails admission makes the
 * whole block invalid.
 */
import type { Tx } from '../blocks/types.js'
import { txId, txSender } from '../blocks/index.js'
import type { StateOverlay } from './overlay.js'
import { type BlockEnv, txHandler, blockHooks } from './registry.js'
import { accountKey, getAccount, putAccount, credit } from './accounts.js'
import { StateError } from './errors.js'
import { isFolioError, errorMessage } from '../errors.js'

export interface TxResult {
  ok: boolean
  /** Error code when the body was rejected. */
  code?: string
  message?: string
}

export interface ExecutedTx {
  tx: Tx
  id: Uint8Array
  sender: Uint8Array
  result: TxResult
}

/** Keys every transaction of the list will touch, for one batched prefetch. */
export function blockReadSet (txs: Tx[], proposer: Uint8Array): Uint8Array[] {
  const keys: Uint8Array[] = [accountKey(proposer)]
  for (const tx of txs) {
    const sender = txSender(tx)
    keys.push(accountKey(sender))
    try {
      const h = txHandler(tx.type)
      if (h.readSet != null) keys.push(...h.readSet(tx, sender))
    } catch {
      // an unknown type is reported when the transaction runs
    }
  }
  return keys
}

/** Admission of one transaction against the overlay: nonce and fee. Throws StateError. */
export async function checkAdmission (state: StateOverlay, tx: Tx, sender: Uint8Array): Promise<void> {
  const acct = await getAccount(state, sender)
  if (tx.nonce !== acct.nonce) {
    throw new StateError('BAD_NONCE', `nonce ${tx.nonce} expected ${acct.nonce}`, { expected: acct.nonce, got: tx.nonce })
  }
  if (acct.balance < tx.fee) {
    throw new StateError('INSUFFICIENT_FUNDS', `balance ${acct.balance} ufol cannot pay fee ${tx.fee} ufol`)
  }
  txHandler(tx.type)
}

export async function executeTx (state: StateOverlay, tx: Tx, index: number, env: BlockEnv, log?: (msg: string, err: unknown) => void): Promise<ExecutedTx> {
  const sender = txSender(tx)
  const id = txId(tx)
  await checkAdmission(state, tx, sender)
  const acct = await getAccount(state, sender)
  putAccount(state, sender, { balance: acct.balance - tx.fee, nonce: acct.nonce + 1n })
  await credit(state, env.proposer, tx.fee)

  const checkpoint = state.checkpoint()
  try {
    await txHandler(tx.type).apply({ ...env, state, tx, id, sender, index })
    return { tx, id, sender, result: { ok: true } }
  } catch (err) {
    state.revert(checkpoint)
    if (!isFolioError(err)) log?.(`transaction ${Buffer.from(id).toString('hex')} failed unexpectedly`, err)
    const code = isFolioError(err) ? err.code : 'INTERNAL'
    return { tx, id, sender, result: { ok: false, code, message: errorMessage(err) } }
  }
}

/**
 * Executes a block's transactions and end-of-block hooks into `state`. Throws StateError
 * (INVALID_BLOCK) when a transaction fails admission.
 */
export async function executeBlockTxs (state: StateOverlay, txs: Tx[], env: BlockEnv, log?: (msg: string, err: unknown) => void): Promise<ExecutedTx[]> {
  await state.prefetch(blockReadSet(txs, env.proposer))
  const executed: ExecutedTx[] = []
  for (let i = 0; i < txs.length; i++) {
    try {
      executed.push(await executeTx(state, txs[i], i, env, log))
    } catch (err) {
      throw new StateError('INVALID_BLOCK', `transaction ${i} of block ${env.height} is not admissible: ${errorMessage(err)}`)
    }
  }
  for (const hook of blockHooks()) await hook.endBlock({ ...env, state })
  state.seal()
  return executed
}
