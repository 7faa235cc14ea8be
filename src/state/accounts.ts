/**
 * Accounts: balance and nonce per 20-byte address, and the `transfer` transaction.
 * Record layout (RLP): [balance, nonce]. An account that was never written reads as zero.
 */
import { struct, uint, type Infer } from '../codec/index.js'
import type { StateOverlay } from './overlay.js'
import { registerTxHandler } from './registry.js'
import { stateKey } from './keys.js'
import { StateError } from './errors.js'
import { encodeAddress } from '../crypto/index.js'

export const AccountRecord = struct({ balance: uint(), nonce: uint() })
export type Account = Infer<typeof AccountRecord>

export function accountKey (address: Uint8Array): Uint8Array {
  return stateKey('acct', address)
}

export function decodeAccount (bytes: Uint8Array | undefined): Account {
  if (bytes === undefined) return { balance: 0n, nonce: 0n }
  return AccountRecord.fromBytes(bytes)
}

export async function getAccount (state: StateOverlay, address: Uint8Array): Promise<Account> {
  return decodeAccount(await state.get(accountKey(address)))
}

export function putAccount (state: StateOverlay, address: Uint8Array, account: Account): void {
  if (account.balance === 0n && account.nonce === 0n) state.del(accountKey(address))
  else state.put(accountKey(address), AccountRecord.toBytes(account))
}

export async function credit (state: StateOverlay, address: Uint8Array, amount: bigint): Promise<void> {
  if (amount < 0n) throw new StateError('INVALID_AMOUNT', `cannot credit a negative amount ${amount}`)
  if (amount === 0n) return
  const acct = await getAccount(state, address)
  putAccount(state, address, { ...acct, balance: acct.balance + amount })
}

export async function debit (state: StateOverlay, address: Uint8Array, amount: bigint): Promise<void> {
  if (amount < 0n) throw new StateError('INVALID_AMOUNT', `cannot debit a negative amount ${amount}`)
  if (amount === 0n) return
  const acct = await getAccount(state, address)
  if (acct.balance < amount) {
    throw new StateError('INSUFFICIENT_FUNDS',
      `${encodeAddress(address)} has ${acct.balance} ufol, needs ${amount} ufol`, { balance: acct.balance, needed: amount })
  }
  putAccount(state, address, { ...acct, balance: acct.balance - amount })
}

export async function move (state: StateOverlay, from: Uint8Array, to: Uint8Array, amount: bigint): Promise<void> {
  await debit(state, from, amount)
  await credit(state, to, amount)
}

registerTxHandler({
  type: 'transfer',
  readSet: (tx) => [accountKey(tx.body.to as Uint8Array)],
  spend: (tx) => tx.body.amount as bigint,
  apply: async (ctx) => {
    const to = ctx.tx.body.to as Uint8Array
    const amount = ctx.tx.body.amount as bigint
    if (amount <= 0n) throw new StateError('INVALID_AMOUNT', `transfer amount must be positive, got ${amount}`)
    await move(ctx.state, ctx.sender, to, amount)
  }
})
