/**
 * A small schema-driven RLP codec. Transaction bodies, headers and state records declare their
 * fields once (`struct({ to: bytes({ len: 20 }), amount: uint() })`) and get from that one
 * declaration: the canonical RLP form (fields in declaration order, a struct is a list of exactly
 * its field count), a strict decoder whose errors name the field path, a JSON form for the RPC,
 * and the TypeScript type (`Infer<typeof S>`). Encoding validates too, so that no value is ever
 * written that its own decoder would refuse.
 */
import { CodecError } from './errors.js'
import type { CodecErrorCode } from './errors.js'
import { fromHex, fromUtf8, toHex, utf8 } from './hex.js'
import { bytesToUint, rlpDecode, rlpEncode, uintToBytes } from './rlp.js'
import type { RlpItem } from './rlp.js'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

function fail (code: CodecErrorCode, path: string, message: string): never {
  throw new CodecError(code, `${path === '' ? 'value' : path}: ${message}`, { path })
}

/** Runs a helper that throws path-less CodecErrors and prefixes the field path to them. */
function at<T> (path: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof CodecError) fail(err.code, path, err.message)
    throw err
  }
}

function childPath (path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

function asBytes (item: RlpItem, path: string): Uint8Array {
  if (!(item instanceof Uint8Array)) fail('MALFORMED', path, 'expected a byte string, got a list')
  return item
}

function asList (item: RlpItem, path: string): RlpItem[] {
  if (!Array.isArray(item)) fail('MALFORMED', path, 'expected a list, got a byte string')
  return item
}

export abstract class Schema<T> {
  abstract readonly kind: string
  /** Validates `value` and encodes it; `path` names it in errors. */
  abstract encodeAt (value: unknown, path: string): RlpItem
  abstract decodeAt (item: RlpItem, path: string): T
  abstract toJSONAt (value: unknown, path: string): Json
  abstract fromJSONAt (json: unknown, path: string): T

  encode (value: T): RlpItem { return this.encodeAt(value, '') }
  decode (item: RlpItem): T { return this.decodeAt(item, '') }
  toBytes (value: T): Uint8Array { return rlpEncode(this.encode(value)) }
  fromBytes (bytes: Uint8Array, maxBytes?: number): T { return this.decode(rlpDecode(bytes, maxBytes)) }
  toJSON (value: T): Json { return this.toJSONAt(value, '') }
  fromJSON (json: unknown): T { return this.fromJSONAt(json, '') }
}

export type Infer<S> = S extends Schema<infer T> ? T : never

const UINT256_MAX = (1n << 256n) - 1n
const DECIMAL = /^(0|[1-9][0-9]*)$/

class UintSchema extends Schema<bigint> {
  readonly kind = 'uint' as const
  constructor (readonly max: bigint) { super() }

  private check (value: unknown, path: string): bigint {
    if (typeof value !== 'bigint') fail('MALFORMED', path, `expected a bigint, got ${typeof value}`)
    if (value < 0n) fail('OUT_OF_RANGE', path, `${value} is negative`)
    if (value > this.max) fail('OUT_OF_RANGE', path, `${value} exceeds the maximum ${this.max}`)
    return value
  }

  encodeAt (value: unknown, path: string): RlpItem { return uintToBytes(this.check(value, path)) }
  decodeAt (item: RlpItem, path: string): bigint {
    return this.check(at(path, () => bytesToUint(asBytes(item, path), 32)), path)
  }

  toJSONAt (value: unknown, path: string): Json { return this.check(value, path).toString() }
  fromJSONAt (json: unknown, path: string): bigint {
    if (typeof json === 'number' && Number.isSafeInteger(json)) return this.check(BigInt(json), path)
    if (typeof json !== 'string' || !DECIMAL.test(json)) {
      fail('MALFORMED', path, 'expected an unsigned integer as a decimal string')
    }
    return this.check(BigInt(json), path)
  }
}

class U53Schema extends Schema<number> {
  readonly kind = 'u53' as const
  constructor (readonly max: number) { super() }

  private check (value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail('MALFORMED', path, `expected a safe integer, got ${String(value)}`)
    if (value < 0) fail('OUT_OF_RANGE', path, `${value} is negative`)
    if (value > this.max) fail('OUT_OF_RANGE', path, `${value} exceeds the maximum ${this.max}`)
    return value
  }

  encodeAt (value: unknown, path: string): RlpItem { return uintToBytes(this.check(value, path)) }
  decodeAt (item: RlpItem, path: string): number {
    const v = at(path, () => bytesToUint(asBytes(item, path), 7))
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('OUT_OF_RANGE', path, `${v} exceeds the largest safe integer`)
    return this.check(Number(v), path)
  }

  toJSONAt (value: unknown, path: string): Json { return this.check(value, path) }
  fromJSONAt (json: unknown, path: string): number { return this.check(json, path) }
}

class BytesSchema extends Schema<Uint8Array> {
  readonly kind = 'bytes' as const
  constructor (readonly len: number | undefined, readonly max: number | undefined) { super() }

  private check (value: unknown, path: string): Uint8Array {
    if (!(value instanceof Uint8Array)) fail('MALFORMED', path, 'expected a Uint8Array')
    if (this.len !== undefined && value.length !== this.len) {
      fail('WRONG_LENGTH', path, `expected ${this.len} bytes, got ${value.length}`)
    }
    if (this.max !== undefined && value.length > this.max) {
      fail('TOO_LARGE', path, `${value.length} bytes exceeds the maximum of ${this.max}`)
    }
    return value
  }

  encodeAt (value: unknown, path: string): RlpItem { return this.check(value, path) }
  decodeAt (item: RlpItem, path: string): Uint8Array { return this.check(asBytes(item, path), path) }
  toJSONAt (value: unknown, path: string): Json { return toHex(this.check(value, path)) }
  fromJSONAt (json: unknown, path: string): Uint8Array {
    return this.check(at(path, () => fromHex(json as string)), path)
  }
}

function countChars (text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}

class StringSchema extends Schema<string> {
  readonly kind = 'string' as const
  constructor (readonly max: number | undefined) { super() }

  private check (value: unknown, path: string): string {
    if (typeof value !== 'string') fail('MALFORMED', path, `expected a string, got ${typeof value}`)
    if (this.max !== undefined && value.length > this.max) {
      // UTF-16 length bounds the character count from above; count only when it might exceed.
      const chars = countChars(value)
      if (chars > this.max) fail('TOO_LARGE', path, `${chars} characters exceeds the maximum of ${this.max}`)
    }
    return value
  }

  encodeAt (value: unknown, path: string): RlpItem {
    const text = this.check(value, path)
    return at(path, () => utf8(text))
  }

  decodeAt (item: RlpItem, path: string): string {
    const bytes = asBytes(item, path)
    if (this.max !== undefined && bytes.length > this.max * 4) {
      fail('TOO_LARGE', path, `${bytes.length} bytes cannot hold at most ${this.max} characters`)
    }
    return this.check(at(path, () => fromUtf8(bytes)), path)
  }

  toJSONAt (value: unknown, path: string): Json { return this.check(value, path) }
  fromJSONAt (json: unknown, path: string): string {
    const text = this.check(json, path)
    at(path, () => utf8(text))
    return text
  }
}

const TRUE_BYTE = Uint8Array.of(1)

class BoolSchema extends Schema<boolean> {
  readonly kind = 'bool' as const

  private check (value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') fail('MALFORMED', path, `expected a boolean, got ${typeof value}`)
    return value
  }

  encodeAt (value: unknown, path: string): RlpItem {
    return this.check(value, path) ? TRUE_BYTE : new Uint8Array(0)
  }

  decodeAt (item: RlpItem, path: string): boolean {
    const bytes = asBytes(item, path)
    if (bytes.length === 0) return false
    if (bytes.length === 1 && bytes[0] === 1) return true
    return fail('MALFORMED', path, 'a boolean is encoded as 0x01 (true) or the empty string (false)')
  }

  toJSONAt (value: unknown, path: string): Json { return this.check(value, path) }
  fromJSONAt (json: unknown, path: string): boolean { return this.check(json, path) }
}

class EnumSchema<V extends string> extends Schema<V> {
  readonly kind = 'enum' as const
  private readonly allowed: ReadonlySet<string>
  constructor (readonly values: readonly V[]) {
    super()
    this.allowed = new Set(values)
  }

  private check (value: unknown, path: string): V {
    if (typeof value !== 'string' || !this.allowed.has(value)) {
      fail('OUT_OF_RANGE', path, `expected one of ${this.values.join(' | ')}, got ${JSON.stringify(value)}`)
    }
    return value as V
  }

  encodeAt (value: unknown, path: string): RlpItem { return utf8(this.check(value, path)) }
  decodeAt (item: RlpItem, path: string): V {
    const bytes = asBytes(item, path)
    return this.check(at(path, () => fromUtf8(bytes)), path)
  }

  toJSONAt (value: unknown, path: string): Json { return this.check(value, path) }
  fromJSONAt (json: unknown, path: string): V { return this.check(json, path) }
}

class OptionalSchema<T> extends Schema<T | null> {
  readonly kind = 'optional' as const
  constructor (readonly inner: Schema<T>) { super() }

  encodeAt (value: unknown, path: string): RlpItem {
    return value === null || value === undefined ? [] : [this.inner.encodeAt(value, path)]
  }

  decodeAt (item: RlpItem, path: string): T | null {
    const list = asList(item, path)
    if (list.length === 0) return null
    if (list.length !== 1) fail('WRONG_LENGTH', path, `an optional value is a list of 0 or 1 items, got ${list.length}`)
    return this.inner.decodeAt(list[0], path)
  }

  toJSONAt (value: unknown, path: string): Json {
    return value === null || value === undefined ? null : this.inner.toJSONAt(value, path)
  }

  fromJSONAt (json: unknown, path: string): T | null {
    return json === null || json === undefined ? null : this.inner.fromJSONAt(json, path)
  }
}

class ListSchema<T> extends Schema<T[]> {
  readonly kind = 'list' as const
  constructor (readonly item: Schema<T>, readonly max: number | undefined) { super() }

  private checkCount (n: number, path: string): void {
    if (this.max !== undefined && n > this.max) fail('TOO_LARGE', path, `${n} items exceeds the maximum of ${this.max}`)
  }

  private asArray (value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) fail('MALFORMED', path, 'expected an array')
    this.checkCount(value.length, path)
    return value
  }

  encodeAt (value: unknown, path: string): RlpItem {
    return this.asArray(value, path).map((v, i) => this.item.encodeAt(v, `${path}[${i}]`))
  }

  decodeAt (item: RlpItem, path: string): T[] {
    const list = asList(item, path)
    this.checkCount(list.length, path)
    return list.map((v, i) => this.item.decodeAt(v, `${path}[${i}]`))
  }

  toJSONAt (value: unknown, path: string): Json {
    return this.asArray(value, path).map((v, i) => this.item.toJSONAt(v, `${path}[${i}]`))
  }

  fromJSONAt (json: unknown, path: string): T[] {
    return this.asArray(json, path).map((v, i) => this.item.fromJSONAt(v, `${path}[${i}]`))
  }
}

export type Fields = Record<string, Schema<any>>
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends OptionalSchema<any> ? K : never }[keyof F]
type Simplify<T> = { [K in keyof T]: T[K] } & {}
/** Optional fields may be left out when building a value; decoding always fills them (with null). */
export type StructValue<F extends Fields> = Simplify<
{ [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & { [K in OptionalKeys<F>]?: Infer<F[K]> }
>

function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

class StructSchema<F extends Fields> extends Schema<StructValue<F>> {
  readonly kind = 'struct' as const
  readonly names: readonly string[]
  constructor (readonly fields: F) {
    super()
    this.names = Object.keys(fields)
  }

  private asObject (value: unknown, path: string): Record<string, unknown> {
    if (!isPlainObject(value)) fail('MALFORMED', path, 'expected an object')
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(this.fields, key)) fail('MALFORMED', childPath(path, key), 'unknown field')
    }
    return value
  }

  private field (name: string, path: string, value: unknown): unknown {
    if (value === undefined && this.fields[name].kind !== 'optional') fail('MALFORMED', childPath(path, name), 'missing field')
    return value
  }

  encodeAt (value: unknown, path: string): RlpItem {
    const obj = this.asObject(value, path)
    return this.names.map(n => this.fields[n].encodeAt(this.field(n, path, obj[n]), childPath(path, n)))
  }

  decodeAt (item: RlpItem, path: string): StructValue<F> {
    const list = asList(item, path)
    if (list.length !== this.names.length) {
      fail('WRONG_LENGTH', path, `expected a list of ${this.names.length} fields, got ${list.length}`)
    }
    const out: Record<string, unknown> = {}
    this.names.forEach((n, i) => { out[n] = this.fields[n].decodeAt(list[i], childPath(path, n)) })
    return out as StructValue<F>
  }

  toJSONAt (value: unknown, path: string): Json {
    const obj = this.asObject(value, path)
    const out: Record<string, Json> = {}
    for (const n of this.names) out[n] = this.fields[n].toJSONAt(this.field(n, path, obj[n]), childPath(path, n))
    return out
  }

  fromJSONAt (json: unknown, path: string): StructValue<F> {
    const obj = this.asObject(json, path)
    const out: Record<string, unknown> = {}
    for (const n of this.names) out[n] = this.fields[n].fromJSONAt(this.field(n, path, obj[n]), childPath(path, n))
    return out as StructValue<F>
  }
}

export type { UintSchema, U53Schema, BytesSchema, StringSchema, BoolSchema, EnumSchema, OptionalSchema, ListSchema, StructSchema }

/** Unsigned integer as bigint, at most 256 bits (or `max`). */
export function uint (opts: { max?: bigint } = {}): UintSchema { return new UintSchema(opts.max ?? UINT256_MAX) }
/** Unsigned integer as a JS number (heights, times, counts), at most 2^53 - 1 (or `max`). */
export function u53 (opts: { max?: number } = {}): U53Schema { return new U53Schema(opts.max ?? Number.MAX_SAFE_INTEGER) }
/** A byte string of exactly `len` bytes, or at most `max`. */
export function bytes (opts: { len?: number, max?: number } = {}): BytesSchema { return new BytesSchema(opts.len, opts.max) }
/** UTF-8 text of at most `max` characters (code points). */
export function string (opts: { max?: number } = {}): StringSchema { return new StringSchema(opts.max) }
export function bool (): BoolSchema { return new BoolSchema() }
export function enumOf<const V extends string> (values: readonly V[]): EnumSchema<V> { return new EnumSchema(values) }
export function optional<T> (inner: Schema<T>): OptionalSchema<T> { return new OptionalSchema(inner) }
export function list<T> (item: Schema<T>, opts: { max?: number } = {}): ListSchema<T> { return new ListSchema(item, opts.max) }
export function struct<F extends Fields> (fields: F): StructSchema<F> { return new StructSchema(fields) }
