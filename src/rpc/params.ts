/**
 * Reading JSON-RPC parameters: a JSON object by name (MISSION.md §9), every field checked, unknown
 * fields refused, so that a typo is an error and not a silently ignored filter.
 */
import { fromHex } from '../codec/index.js'
import { decodeAddress } from '../crypto/index.js'
import { invalidParams } from './errors.js'

export type Params = Record<string, unknown>

export function objectParams (raw: unknown, allowed: readonly string[]): Params {
  if (raw === undefined || raw === null) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidParams('parameters must be a JSON object of named fields')
  const p = raw as Params
  for (const k of Object.keys(p)) {
    if (!allowed.includes(k)) {
      throw invalidParams(`unknown parameter "${k}"${allowed.length > 0 ? `; expected ${allowed.map(a => `"${a}"`).join(', ')}` : ''}`)
    }
  }
  return p
}

export function has (p: Params, name: string): boolean {
  return p[name] !== undefined && p[name] !== null
}

export function hexParam (p: Params, name: string, length?: number): Uint8Array {
  const v = p[name]
  if (typeof v !== 'string') throw invalidParams(`"${name}" must be a 0x-hex string`)
  try {
    return fromHex(v, length)
  } catch (err) {
    throw invalidParams(`"${name}": ${(err as Error).message}`)
  }
}

export function addressParam (p: Params, name: string): Uint8Array {
  const v = p[name]
  if (typeof v !== 'string') throw invalidParams(`"${name}" must be a fol… address`)
  try {
    return decodeAddress(v)
  } catch (err) {
    throw invalidParams(`"${name}": ${(err as Error).message}`)
  }
}

export function intParam (p: Params, name: string, opts: { min?: number, max?: number } = {}): number {
  const v = p[name]
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalidParams(`"${name}" must be an integer`)
  if (opts.min !== undefined && v < opts.min) throw invalidParams(`"${name}" must be at least ${opts.min}, got ${v}`)
  if (opts.max !== undefined && v > opts.max) throw invalidParams(`"${name}" must be at most ${opts.max}, got ${v}`)
  return v
}

export function stringParam (p: Params, name: string, opts: { max?: number } = {}): string {
  const v = p[name]
  if (typeof v !== 'string') throw invalidParams(`"${name}" must be a string`)
  if (opts.max !== undefined && v.length > opts.max) throw invalidParams(`"${name}" is longer than ${opts.max} characters`)
  return v
}

export function boolParam (p: Params, name: string): boolean {
  const v = p[name]
  if (typeof v !== 'boolean') throw invalidParams(`"${name}" must be true or false`)
  return v
}

export function amountParam (p: Params, name: string): bigint {
  const v = p[name]
  if (typeof v !== 'string' || !/^[0-9]{1,40}$/.test(v)) throw invalidParams(`"${name}" must be a decimal string of ufol`)
  return BigInt(v)
}
