/**
 * A chain with two genesis validators (10 FOL of power each, separate operators), funded
 * accounts and a short unbonding period, plus helpers to run staking transactions block by block
 * and to check the supply accounting against every balance, stake and queue entry.
 */
import { expect } from 'chai'
import { sha256, ed25519FromSeed, ed25519Sign, accountFromSecretKey, addressFromPublicKey, type Account } from '../../../src/crypto/index.js'
import { utf8 } from '../../../src/codec/index.js'
import { voteSigningBytes } from '../../../src/blocks/index.js'
import type { Vote, VoteType } from '../../../src/blocks/types.js'
import {
  Chain, MemoryStore, DEFAULT_PARAMS, decodeAccount, accountKey, getSupply, getValidator, getUnbonding, listValidators,
  type Genesis, type KVStore, type CommittedBlock, type TxResult
} from '../../../src/state/index.js'
import { CHAIN_ID, makeTx, nextBlock } from '../../helpers/chainFixture.js'

export { CHAIN_ID }
export const FOL = 1_000_000n
export const UNBONDING = 5
export const BALANCE = 1_000n * FOL

export interface ConsensusKey { secretKey: Uint8Array, publicKey: Uint8Array, address: Uint8Array }

export function consensusKey (name: string): ConsensusKey {
  const { secretKey, publicKey } = ed25519FromSeed(sha256(utf8(`staking test consensus key ${name}`)))
  return { secretKey, publicKey, address: addressFromPublicKey(publicKey) }
}

export function user (i: number): Account {
  return accountFromSecretKey(sha256(utf8(`staking test user ${i}`)))
}

export const genesisKeys = [consensusKey('g0'), consensusKey('g1')]
export const genesisOperators = [user(100), user(101)]
export const users = Array.from({ length: 6 }, (_, i) => user(i))
export const everyone = [...users, ...genesisOperators].map(a => a.address)

export function stakingGenesis (overrides: Partial<Genesis['params']> = {}): Genesis {
  return {
    chainId: CHAIN_ID,
    genesisTime: 1_700_000_000_000,
    params: { ...DEFAULT_PARAMS, unbondingBlocks: UNBONDING, ...overrides },
    accounts: [...users, ...genesisOperators].map(a => ({ address: a.address, balance: BALANCE })),
    validators: genesisKeys.map((k, i) => ({
      name: `g${i}`, publicKey: k.publicKey, operator: genesisOperators[i]!.address, power: 10n, escrowKey: new Uint8Array(32).fill(i + 1)
    }))
  }
}

export async function openStakingChain (overrides: Partial<Genesis['params']> = {}, store: KVStore = new MemoryStore()): Promise<Chain> {
  return await Chain.open(store, stakingGenesis(overrides))
}

/** Sends transactions, keeping each sender's nonce. */
export class Sender {
  private readonly nonces = new Map<string, bigint>()

  tx (from: Account, type: string, body: Record<string, unknown>): ReturnType<typeof makeTx> {
    const key = Buffer.from(from.address).toString('hex')
    const nonce = this.nonces.get(key) ?? 0n
    this.nonces.set(key, nonce + 1n)
    return makeTx(from, nonce, type, body)
  }
}

export async function commit (chain: Chain, txs: Array<ReturnType<typeof makeTx>> = []): Promise<CommittedBlock> {
  return await chain.commit(nextBlock(chain, txs), null)
}

/** Commits one block with `tx` and returns its result. */
export async function run (chain: Chain, tx: ReturnType<typeof makeTx>): Promise<TxResult> {
  return (await commit(chain, [tx])).executed[0]!.result
}

export async function balanceOf (chain: Chain, address: Uint8Array): Promise<bigint> {
  return decodeAccount(await chain.state.get(accountKey(address))).balance
}

export async function validatorOf (chain: Chain, address: Uint8Array): ReturnType<typeof getValidator> {
  return await getValidator(chain.overlay(), address)
}

export function inSet (chain: Chain, height: number, address: Uint8Array): boolean {
  return chain.validators(height).some(v => Buffer.compare(v.address, address) === 0)
}

/**
 * Checks: balances + bonded tokens + queued undelegations = supply; supply + burned = the genesis
 * supply; and the record's bonded/unbonding equal the sums of the records they summarize.
 */
export async function expectSupplyConserved (chain: Chain, extraAccounts: Uint8Array[] = []): Promise<void> {
  const state = chain.overlay()
  const s = await getSupply(state)
  let balances = 0n
  const proposers = chain.genesis.validators.map(v => v.operator)
  const seen = new Set<string>()
  for (const a of [...everyone, ...extraAccounts, ...proposers]) {
    const k = Buffer.from(a).toString('hex')
    if (seen.has(k)) continue
    seen.add(k)
    balances += decodeAccount(await state.get(accountKey(a))).balance
  }
  let bonded = 0n
  for (const a of await listValidators(state)) bonded += (await getValidator(state, a))!.tokens
  let unbonding = 0n
  const head = chain.head().height
  for (let h = head + 1; h <= head + chain.params.unbondingBlocks; h++) {
    for (const e of await getUnbonding(state, h)) unbonding += e.amount
  }
  const genesisSupply = chain.genesis.accounts.reduce((a, x) => a + x.balance, 0n) +
    chain.genesis.validators.reduce((a, v) => a + v.power * FOL, 0n)
  expect(s.bonded, 'bonded record').to.equal(bonded)
  expect(s.unbonding, 'unbonding record').to.equal(unbonding)
  expect(balances + bonded + unbonding, 'balances + bonded + unbonding').to.equal(s.supply)
  expect(s.supply + s.burned, 'supply + burned').to.equal(genesisSupply)
}

/** A vote signed by `key`. */
export function signedVote (key: ConsensusKey, height: number, round: number, type: VoteType, blockHash: Uint8Array | null): Vote {
  const unsigned = { type, height, round, blockHash, validator: key.address }
  return { ...unsigned, signature: ed25519Sign(key.secretKey, voteSigningBytes(CHAIN_ID, unsigned)) }
}
