/**
 * What every CLI command shares: the global options (--rpc, --wallet, --json), the RPC client,
 * the wallet, and output that is one JSON object with --json or readable text without it.
 */
import { resolve } from 'node:path'
import { existsSync, readFileSync } from 'node:fs'
import { RpcClient } from '../client/rpcClient.js'
import { readWallet } from '../node/keys.js'
import type { Account } from '../crypto/index.js'
import { FolioError } from '../errors.js'

export class CliError extends FolioError<'USAGE' | 'FAILED'> {}

export interface GlobalArgs {
  rpc?: string
  wallet?: string
  json?: boolean
  dir?: string
}

const DEFAULT_RPC = 'http://127.0.0.1:26657/rpc'

/** --rpc, else the first node of a running devnet in ./.devnet, else the local default. */
export function rpcUrl (args: GlobalArgs): string {
  if (args.rpc != null) return args.rpc.endsWith('/rpc') || args.rpc.includes('/rpc?') ? args.rpc : `${args.rpc.replace(/\/$/, '')}/rpc`
  const file = resolve(args.dir ?? '.devnet', 'devnet.json')
  if (existsSync(file)) {
    try {
      const j = JSON.parse(readFileSync(file, 'utf8'))
      if (typeof j.nodes?.[0]?.rpc === 'string') return j.nodes[0].rpc
    } catch {}
  }
  return DEFAULT_RPC
}

export function client (args: GlobalArgs): RpcClient {
  return new RpcClient(rpcUrl(args))
}

export function walletPath (args: GlobalArgs): string {
  if (args.wallet != null) return resolve(args.wallet)
  if (process.env.FOLIO_WALLET != null) return resolve(process.env.FOLIO_WALLET)
  throw new CliError('USAGE', 'no wallet given: pass --wallet FILE (the devnet prints a funded one: .devnet/faucet.json)')
}

export async function wallet (args: GlobalArgs): Promise<Account> {
  return await readWallet(walletPath(args))
}

/** Prints `json` with --json, else the human text. */
export function output (args: GlobalArgs, json: unknown, human: string | (() => string)): void {
  if (args.json === true) {
    process.stdout.write(JSON.stringify(json, (_k, v) => typeof v === 'bigint' ? v.toString() : v) + '\n')
  } else {
    process.stdout.write((typeof human === 'function' ? human() : human) + '\n')
  }
}

/** Amounts: an integer is ufol; a number with "fol" (e.g. 1.5fol) is FOL. */
export function parseAmount (text: string | number): bigint {
  const s = String(text).trim().toLowerCase()
  const fol = /^([0-9]+)(?:\.([0-9]{1,6}))?\s*fol$/.exec(s)
  if (fol != null) return BigInt(fol[1]) * 1_000_000n + BigInt((fol[2] ?? '').padEnd(6, '0'))
  if (/^[0-9]+$/.test(s)) return BigInt(s)
  throw new CliError('USAGE', `"${String(text)}" is not an amount: give ufol as an integer (1500000) or FOL with a suffix (1.5fol)`)
}

export function formatFol (ufol: bigint | string): string {
  const v = BigInt(ufol)
  const whole = v / 1_000_000n
  const frac = (v % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '')
  return `${whole.toLocaleString('en-US')}${frac.length > 0 ? '.' + frac : ''} FOL`
}
