/**
 * Card and social transaction builders over the chain fixture, for the feed unit tests.
 */
import type { Account } from '../../../src/crypto/index.js'
import type { Tx } from '../../../src/blocks/types.js'
import { txId, publishBody, type CardPublishBodyValue } from '../../../src/blocks/index.js'
import type { Chain, CommittedBlock } from '../../../src/state/index.js'
import { makeTx, nextBlock } from '../../helpers/chainFixture.js'

export function postBody (over: Partial<CardPublishBodyValue> = {}): CardPublishBodyValue {
  return publishBody({ body: 'hello world', mime: 'text/plain', ...over })
}

/** Keeps each account's next nonce, so tests only say what to send. */
export class Sender {
  private readonly nonces = new Map<Account, bigint>()

  tx (from: Account, type: string, body: Record<string, unknown>): Tx {
    const n = this.nonces.get(from) ?? 0n
    this.nonces.set(from, n + 1n)
    return makeTx(from, n, type, body)
  }

  publish (from: Account, over: Partial<CardPublishBodyValue> = {}): { tx: Tx, id: Uint8Array } {
    const tx = this.tx(from, 'card.publish', postBody(over))
    return { tx, id: txId(tx) }
  }
}

export async function commit (chain: Chain, txs: Tx[]): Promise<CommittedBlock> {
  return await chain.commit(nextBlock(chain, txs), null)
}

/** Commits `txs` and returns each result, failing the test on none. */
export async function results (chain: Chain, txs: Tx[]): Promise<Array<{ ok: boolean, code?: string, message?: string }>> {
  return (await commit(chain, txs)).executed.map(e => e.result)
}
