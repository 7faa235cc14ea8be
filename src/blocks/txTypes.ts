/**
 * The registry of transaction types: type name → body schema. The envelope codec (tx.ts) looks the
 * body schema up here by the type string, so each area of the state machine registers its own
 * types from its own file (cards, staking, channels, …) and this folder never has to know them.
 * `transfer` is registered here because it belongs to no other area.
 */
import { CodecError } from '../codec/errors.js'
import { bytes, struct, uint } from '../codec/schema.js'
import type { Infer, Schema } from '../codec/schema.js'
import { BlockError } from './errors.js'

export interface TxTypeOptions {
  /** Upper bound on the RLP-encoded body of this type, checked while decoding. */
  maxBytes?: number
}

export interface TxTypeSpec {
  name: string
  schema: Schema<any>
  maxBytes: number | undefined
}

/** Lowercase words joined by dots or dashes, as in `card.publish` or `stake.delegate`. */
const TYPE_NAME = /^[a-z][a-z0-9]*([.-][a-z][a-z0-9]*)*$/
export const MAX_TX_TYPE_LENGTH = 32

const registry = new Map<string, TxTypeSpec>()

export function registerTxType (name: string, schema: Schema<any>, opts: TxTypeOptions = {}): void {
  if (name.length > MAX_TX_TYPE_LENGTH || !TYPE_NAME.test(name)) {
    throw new BlockError('INVALID_TX_TYPE', `transaction type name "${name}" must be lowercase words joined by "." (at most ${MAX_TX_TYPE_LENGTH} characters)`)
  }
  if (schema.kind !== 'struct') {
    throw new BlockError('INVALID_TX_TYPE', `transaction type "${name}" needs a struct schema for its body, got ${schema.kind}`)
  }
  const existing = registry.get(name)
  if (existing !== undefined) {
    // Re-registering the very same schema is harmless (a module evaluated twice in tests);
    // a different one would silently change how existing transactions decode.
    if (existing.schema === schema && existing.maxBytes === opts.maxBytes) return
    throw new BlockError('INVALID_TX_TYPE', `transaction type "${name}" is already registered with another schema`)
  }
  registry.set(name, { name, schema, maxBytes: opts.maxBytes })
}

export function txTypeSpec (name: string): TxTypeSpec {
  const spec = registry.get(name)
  if (spec === undefined) {
    throw new CodecError('UNKNOWN_TYPE', `unknown transaction type "${name.slice(0, MAX_TX_TYPE_LENGTH + 8)}" (known: ${knownTxTypes().join(', ')})`)
  }
  return spec
}

export function txBodySchema (name: string): Schema<any> {
  return txTypeSpec(name).schema
}

export function isKnownTxType (name: string): boolean {
  return registry.has(name)
}

export function knownTxTypes (): string[] {
  return [...registry.keys()].sort()
}

export const TransferBody = struct({ to: bytes({ len: 20 }), amount: uint() })
export type TransferBodyValue = Infer<typeof TransferBody>

registerTxType('transfer', TransferBody)
