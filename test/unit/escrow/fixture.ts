/**
 * A committed chain with four validators holding escrow keys (the devnet's keys), funded
 * accounts, and helpers to publish an escrowed card, mint and move keys — for the escrow unit
 * tests. Blocks are committed without consensus (the state machine is what is under test).
 */
import type { Account } from '../../../src/crypto/index.js'
import { randomBytes } from '../../../src/crypto/index.js'
import { txId, publishBody, type CardPublishBodyValue } from '../../../src/blocks/index.js'
import type { Tx } from '../../../src/blocks/types.js'
import { Chain, MemoryStore, cardEscrow, type CardEscrow } from '../../../src/state/index.js'
import { devnetGenesis, devnetValidatorKey } from '../../../src/node/devnetKeys.js'
import { buildEscrow, EscrowServer, type CommitteeMember } from '../../../src/torrent/escrow/index.js'
import { testAccount, makeTx, nextBlock, CHAIN_ID } from '../../helpers/chainFixture.js'

export const CREATOR = testAccount(1)
export const BUYER = testAccount(2)
export const OTHER = testAccount(3)
export const THIRD = testAccount(4)

export async function openEscrowChain (validators = 4): Promise<Chain> {
  const g = devnetGenesis(validators)
  g.chainId = CHAIN_ID
  g.accounts.push(...[CREATOR, BUYER, OTHER, THIRD].map(a => ({ address: a.address, balance: 1_000_000_000n })))
  return await Chain.open(new MemoryStore(), g)
}

export class TxSender {
  private readonly nonces = new Map<Account, bigint>()
  constructor (readonly chain: Chain) {}

  tx (from: Account, type: string, body: Record<string, unknown>): Tx {
    const n = this.nonces.get(from) ?? 0n
    this.nonces.set(from, n + 1n)
    return makeTx(from, n, type, body)
  }

  /** Commits txs in one block; returns each result. */
  async commit (...txs: Tx[]): Promise<Array<{ ok: boolean, code?: string, message?: string }>> {
    const c = await this.chain.commit(nextBlock(this.chain, txs), null)
    return c.executed.map(e => e.result)
  }

  /** Commits one tx and fails loudly if it failed. */
  async ok (from: Account, type: string, body: Record<string, unknown>): Promise<Uint8Array> {
    const tx = this.tx(from, type, body)
    const [r] = await this.commit(tx)
    if (!r!.ok) throw new Error(`${type} failed: ${r!.code} ${r!.message}`)
    return txId(tx)
  }
}

export function committeeOf (chain: Chain): CommitteeMember[] {
  return chain.validators(chain.head().height + 1).filter(v => v.escrowKey != null).map(v => ({ address: v.address, escrowKey: v.escrowKey! }))
}

/** Publishes a paid card whose key is escrowed among the current validators. */
export async function publishEscrowed (s: TxSender, over: Partial<CardPublishBodyValue> = {}): Promise<{ card: Uint8Array, contentKey: Uint8Array, escrow: CardEscrow }> {
  const contentKey = randomBytes(32)
  const { escrow, keyCommitment } = await buildEscrow(contentKey, committeeOf(s.chain))
  const card = await s.ok(CREATOR, 'card.publish', publishBody({
    kind: 'video', title: 'paid', mime: 'video/mp4', size: 2048, sliceSize: 1024, sliceCount: 2, contentRoot: randomBytes(32),
    price: 1_000n, supply: 3, royaltyBps: 1_000, keySalt: randomBytes(32), escrow, keyCommitment, ...over
  }))
  return { card, contentKey, escrow: (await cardEscrow(s.chain.state, card))! }
}

/** One escrow server per validator key, all over the same committed chain. */
export function escrowServers (chain: Chain, count = 4, opts = {}): EscrowServer[] {
  const view = { chainId: chain.chainId, headHeight: () => chain.head().height, state: chain.state }
  return Array.from({ length: count }, (_, i) => new EscrowServer(view, devnetValidatorKey(i), opts))
}
