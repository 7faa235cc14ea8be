/**
 * Where transaction types plug their state rules in. Each area (accounts, staking, cards, seeder
 * map, keys) registers one handler per transaction type and, where it needs them, block hooks
 * (expiry, unbonding, validator-set updates). The executor knows nothing of the areas.
 */
import type { Tx } from '../blocks/types.js'
import type { StateOverlay } from './overlay.js'
import type { ChainParams } from './params.js'
import { StateError } from './errors.js'

export interface BlockEnv {
  chainId: string
  height: number
  time: number
  /** Address of the proposer's account; fees are paid to it. */
  proposer: Uint8Array
  params: ChainParams
}

export interface TxContext extends BlockEnv {
  state: StateOverlay
  tx: Tx
  /** The transaction id (also the card id for `card.publish`). */
  id: Uint8Array
  /** The sender's 20-byte address. */
  sender: Uint8Array
  /** Position of the transaction in its block. */
  index: number
}

export interface TxHandler {
  type: string
  /** State keys the handler will read, so a block can prefetch them in one batch. */
  readSet?: (tx: Tx, sender: Uint8Array) => Uint8Array[]
  /** The most the body can debit from the sender beyond the fee (the mempool's balance check). */
  spend?: (tx: Tx) => bigint
  /** Applies the body; throws `StateError` to reject it. */
  apply: (ctx: TxContext) => Promise<void>
}

export interface BlockHook {
  name: string
  /** Runs after the block's transactions, inside the block's overlay. */
  endBlock: (env: BlockEnv & { state: StateOverlay }) => Promise<void>
}

const handlers = new Map<string, TxHandler>()
const hooks: BlockHook[] = []

export function registerTxHandler (handler: TxHandler): void {
  handlers.set(handler.type, handler)
}

export function registerBlockHook (hook: BlockHook): void {
  if (!hooks.some(h => h.name === hook.name)) hooks.push(hook)
}

export function txHandler (type: string): TxHandler {
  const h = handlers.get(type)
  if (h == null) throw new StateError('INVALID_TX', `no state rules for transaction type "${type}"`)
  return h
}

export function blockHooks (): readonly BlockHook[] {
  return hooks
}
