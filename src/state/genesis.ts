/**
 * The genesis file: chain id, start time, parameters, initial balances and validators. Genesis
 * files are plain JSON (MISSION.md §11); `parseGenesis` checks every field and says which is wrong.
 */
import { decodeAddress, encodeAddress, sha256 } from '../crypto/index.js'
import { fromHex, toHex, utf8 } from '../codec/index.js'
import { type ChainParams, paramsFromJSON, paramsToJSON } from './params.js'
import { StateError } from './errors.js'
import type { StateOverlay } from './overlay.js'

export interface GenesisAccount {
  address: Uint8Array
  balance: bigint
}

export interface GenesisValidator {
  name: string
  /** Ed25519 consensus public key. */
  publicKey: Uint8Array
  /** Account that owns the validator's self-stake and receives its rewards. */
  operator: Uint8Array
  power: bigint
  /** X25519 public key for key escrow shares. */
  escrowKey?: Uint8Array
}

export interface Genesis {
  chainId: string
  genesisTime: number
  params: ChainParams
  accounts: GenesisAccount[]
  validators: GenesisValidator[]
}

export type GenesisHook = (genesis: Genesis, state: StateOverlay) => Promise<void>
const genesisHooks: GenesisHook[] = []

/** Areas that keep genesis records of their own (staking: validators) register here. */
export function registerGenesisHook (hook: GenesisHook): void {
  if (!genesisHooks.includes(hook)) genesisHooks.push(hook)
}

export function genesisHooksList (): readonly GenesisHook[] {
  return genesisHooks
}

function fail (msg: string): never {
  throw new StateError('INVALID_GENESIS', `genesis: ${msg}`)
}

function amount (v: unknown, where: string): bigint {
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) fail(`${where} must be a decimal string, got ${JSON.stringify(v)}`)
  return BigInt(v)
}

export function parseGenesis (json: unknown): Genesis {
  if (json == null || typeof json !== 'object') fail('must be a JSON object')
  const j = json as Record<string, unknown>
  if (typeof j.chainId !== 'string' || !/^[a-z0-9-]{1,50}$/.test(j.chainId)) fail('chainId must be 1-50 characters of a-z, 0-9 and -')
  if (typeof j.genesisTime !== 'number' || !Number.isSafeInteger(j.genesisTime)) fail('genesisTime must be milliseconds since the epoch')
  if (!Array.isArray(j.accounts)) fail('accounts must be an array')
  if (!Array.isArray(j.validators) || j.validators.length === 0) fail('validators must be a non-empty array')
  let params: ChainParams
  try {
    params = paramsFromJSON(j.params as Record<string, unknown> | undefined)
  } catch (err) {
    fail(`params: ${(err as Error).message}`)
  }
  const accounts = j.accounts.map((a: any, i: number) => {
    try {
      return { address: decodeAddress(a.address), balance: amount(a.balance, `accounts[${i}].balance`) }
    } catch (err) {
      fail(`accounts[${i}]: ${(err as Error).message}`)
    }
  })
  const validators = j.validators.map((v: any, i: number) => {
    try {
      return {
        name: String(v.name ?? `validator-${i}`),
        publicKey: fromHex(v.publicKey, 32),
        operator: decodeAddress(v.operator),
        power: amount(v.power, `validators[${i}].power`),
        escrowKey: v.escrowKey == null ? undefined : fromHex(v.escrowKey, 32)
      }
    } catch (err) {
      fail(`validators[${i}]: ${(err as Error).message}`)
    }
  })
  return { chainId: j.chainId, genesisTime: j.genesisTime, params, accounts, validators }
}

export function genesisToJSON (g: Genesis): Record<string, unknown> {
  return {
    chainId: g.chainId,
    genesisTime: g.genesisTime,
    params: paramsToJSON(g.params),
    accounts: g.accounts.map(a => ({ address: encodeAddress(a.address), balance: a.balance.toString() })),
    validators: g.validators.map(v => ({
      name: v.name,
      publicKey: toHex(v.publicKey),
      operator: encodeAddress(v.operator),
      power: v.power.toString(),
      ...(v.escrowKey != null ? { escrowKey: toHex(v.escrowKey) } : {})
    }))
  }
}

/** Identifies the genesis a database was created from, so a node never mixes chains. */
export function genesisHash (g: Genesis): Uint8Array {
  return sha256(utf8(JSON.stringify(genesisToJSON(g))))
}
