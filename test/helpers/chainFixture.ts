/**
 * A chain over the in-memory store with funded deterministic accounts, and a block builder, for
 * unit tests of the state machine and the mempool.
 */
import { sha256, accountFromSecretKey, type Account } from '../../src/crypto/index.js'
import { utf8 } from '../../src/codec/index.js'
import { signTx, merkleRoot, txId } from '../../src/blocks/index.js'
import type { Block, Tx } from '../../src/blocks/types.js'
import { Chain, MemoryStore, DEFAULT_PARAMS, minFee, type Genesis, type KVStore } from '../../src/state/index.js'
import { encodeTx } from '../../src/blocks/index.js'

export const CHAIN_ID = 'folio-test-1'

export function testAccount (i: number): Account {
  return accountFromSecretKey(sha256(utf8(`folio test account ${i}`)))
}

export function testGenesis (accounts: number, balance = 1_000_000_000n): Genesis {
  const validator = testAccount(1000)
  return {
    chainId: CHAIN_ID,
    genesisTime: 1_700_000_000_000,
    params: { ...DEFAULT_PARAMS },
    accounts: Array.from({ length: accounts }, (_, i) => ({ address: testAccount(i).address, balance })),
    validators: [{ name: 'v0', publicKey: validator.publicKey, operator: testAccount(999).address, power: 10n }]
  }
}

export async function openChain (genesis: Genesis, store: KVStore = new MemoryStore()): Promise<Chain> {
  return await Chain.open(store, genesis)
}

/** A signed transaction paying exactly the minimum fee. */
export function makeTx (from: Account, nonce: bigint, type: string, body: Record<string, unknown>, fee?: bigint): Tx {
  const unsigned = { type, chainId: CHAIN_ID, from: from.publicKey, nonce, fee: fee ?? 0n, body }
  if (fee !== undefined) return signTx(unsigned, from.secretKey)
  let tx = signTx(unsigned, from.secretKey)
  for (let i = 0; i < 3; i++) {
    const need = minFee(DEFAULT_PARAMS, encodeTx(tx).length)
    if (tx.fee >= need) break
    tx = signTx({ ...unsigned, fee: need }, from.secretKey)
  }
  return tx
}

export function transfer (from: Account, nonce: bigint, to: Account, amount: bigint, fee?: bigint): Tx {
  return makeTx(from, nonce, 'transfer', { to: to.address, amount }, fee)
}

/** The next block on `chain` carrying `txs`, proposed by the genesis validator. */
export function nextBlock (chain: Chain, txs: Tx[], timeStep = 1000): Block {
  const head = chain.head()
  const v = chain.validators(head.height + 1)[0]
  return {
    header: {
      chainId: chain.chainId,
      height: head.height + 1,
      time: head.time + timeStep,
      prevHash: head.hash,
      txRoot: merkleRoot(txs.map(txId)),
      stateRoot: head.stateRoot,
      validatorsHash: new Uint8Array(32),
      proposer: v.address,
      lastCommitHash: new Uint8Array(32)
    },
    txs,
    lastCommit: null
  }
}

/** Sum of every account balance in committed state. */
export async function totalBalance (chain: Chain, accounts: Uint8Array[]): Promise<bigint> {
  const { accountKey, decodeAccount } = await import('../../src/state/index.js')
  let sum = 0n
  for (const a of accounts) sum += decodeAccount(await chain.state.get(accountKey(a))).balance
  return sum
}
