/**
 * Building, signing and sending transactions from a wallet: the nonce comes from the node
 * (committed plus pending), the fee is the chain's minimum for the encoded size unless given.
 */
import { signTx, encodeTx, txId } from '../blocks/index.js'
import type { Tx } from '../blocks/types.js'
import { toHex } from '../codec/index.js'
import { encodeAddress, type Account } from '../crypto/index.js'
import type { RpcClient } from './rpcClient.js'
import { RpcClientError } from './rpcClient.js'

export interface ChainParamsView {
  chainId: string
  minFeeBase: bigint
  minFeePerByte: bigint
}

export async function fetchParams (rpc: RpcClient): Promise<ChainParamsView> {
  const p = await rpc.call('chain_getParams')
  return { chainId: p.chainId, minFeeBase: BigInt(p.params.minFeeBase), minFeePerByte: BigInt(p.params.minFeePerByte) }
}

/** Signs `body` as `type` with the smallest admissible fee (or `fee`), at `nonce`. */
export function buildTx (account: Account, params: ChainParamsView, type: string, body: Record<string, unknown>, nonce: bigint, fee?: bigint): Tx {
  const unsigned = { type, chainId: params.chainId, from: account.publicKey, nonce, fee: fee ?? 0n, body }
  if (fee !== undefined) return signTx(unsigned, account.secretKey)
  // the fee's own encoding changes the size by a byte or two: iterate to the fixed point
  let tx = signTx(unsigned, account.secretKey)
  for (let i = 0; i < 4; i++) {
    const need = params.minFeeBase + params.minFeePerByte * BigInt(encodeTx(tx).length)
    if (tx.fee >= need) break
    tx = signTx({ ...unsigned, fee: need }, account.secretKey)
  }
  return tx
}

export interface SentTx {
  hash: string
  height?: number
  result?: { ok: boolean, code?: string, message?: string }
}

export async function sendTx (rpc: RpcClient, tx: Tx, opts: { wait?: boolean, timeoutMs?: number } = {}): Promise<SentTx> {
  const { hash } = await rpc.call('tx_send', { tx: toHex(encodeTx(tx)) })
  if (opts.wait === false) return { hash }
  return await waitForTx(rpc, hash, opts.timeoutMs ?? 30_000)
}

export async function waitForTx (rpc: RpcClient, hash: string, timeoutMs: number): Promise<SentTx> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await rpc.call('tx_get', { hash })
    if (r.height != null) return { hash, height: r.height, result: r.result }
    if (Date.now() > deadline) throw new RpcClientError('TIMEOUT', `transaction ${hash} was not committed within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** Signs and sends one transaction of `type` from `account`, picking the nonce from the node. */
export async function submit (rpc: RpcClient, account: Account, type: string, body: Record<string, unknown>, opts: { wait?: boolean, fee?: bigint } = {}): Promise<SentTx & { id: Uint8Array }> {
  const params = await fetchParams(rpc)
  const acct = await rpc.call('account_get', { address: encodeAddress(account.address) })
  const tx = buildTx(account, params, type, body, BigInt(acct.pendingNonce ?? acct.nonce), opts.fee)
  const sent = await sendTx(rpc, tx, { wait: opts.wait })
  if (sent.result != null && !sent.result.ok) {
    throw new RpcClientError('RPC', `transaction ${sent.hash} was committed at height ${sent.height} but failed: ${sent.result.message ?? sent.result.code ?? 'rejected'}`)
  }
  return { ...sent, id: txId(tx) }
}
