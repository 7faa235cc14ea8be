/**
 * Accounts: balance and nonce per 20-byte address, and the `transfer` transaction.
 * Record layout (RLP): [balance, nonce]. An account that was never written reads as zero.
 */
import { concatBytes, struct, uint, type Infer } from '../codec/index.js'
import type { StateOverlay } from './overlay.js'
import { registerTxHandler } from './registry.js'
import { stateKey } from './keys.js'
import { StateError } from './errors.js'
import { encodeAddress } from '../crypto/index.js'

export const AccountRecord = struct({ balance: uint(), nonce: uint() })
export type Account = Infer<typeof AccountRecord>

/** `s/acct/`: every account key is this prefix and the 20-byte address. */
const ACCOUNT_KEY_PREFIX = stateKey('acct')

/**
 * The state key of an account. Built each time (one small copy): remembering it per address array
 * in a WeakMap cost more than building it, because V8 pays for every young key set into a
 * long-lived WeakMap (docs/benchmarks.md).
 */
export function accountKey (address: Uint8Array): Uint8Array {
  return concatBytes(ACCOUNT_KEY_PREFIX, address)
}

/**
 * A record's decoded account rides on the bytes object it was decoded from (or encoded to), as a
 * non-enumerable property, like a transaction's memo (src/blocks/tx.ts). The state cache and a
 * block's overlay hand out the same bytes object until the account is written again, so reading
 * an account twice in a transaction (admission, then execution) decodes it once, and the next
 * transaction of the block reads back what the last one wrote without decoding it. Records are
 * frozen: callers build new ones with spread, never mutate. (This was a bounded LRU map keyed by
 * the bytes, updated on every write: its upkeep was ~9 % of executing a block of transfers.)
 */
const DECODED = Symbol('folio.decodedAccount')
const EMPTY: Account = Object.freeze({ balance: 0n, nonce: 0n })

function remember (bytes: Uint8Array, acct: Account): Account {
  if (Object.isExtensible(bytes)) Object.defineProperty(bytes, DECODED, { value: acct })
  return acct
}

export function decodeAccount (bytes: Uint8Array | undefined): Account {
  if (bytes === undefined) return EMPTY
  return (bytes as { [DECODED]?: Account })[DECODED] ?? remember(bytes, Object.freeze(AccountRecord.fromBytes(bytes)))
}

export async function getAccount (state: StateOverlay, address: Uint8Array): Promise<Account> {
  return decodeAccount(await state.get(accountKey(address)))
}

export function putAccount (state: StateOverlay, address: Uint8Array, account: Account): void {
  if (account.balance === 0n && account.nonce === 0n) {
    state.del(accountKey(address))
    return
  }
  const bytes = AccountRecord.toBytes(account)
  // the next read of this account (the next transaction's, in the same block) gets these bytes back
  remember(bytes, Object.freeze({ balance: account.balance, nonce: account.nonce }))
  state.put(accountKey(address), bytes)
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
