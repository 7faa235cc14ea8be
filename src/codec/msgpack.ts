/**
 * msgpack for p2p messages and database records — what is neither hashed nor signed, so it needs
 * speed and convenience rather than one canonical form. Configured so that values come back as the
 * types they went in as: bigint stays bigint (64-bit ints and the bigint extension), byte strings
 * come back as plain Uint8Array rather than Buffer, and no record/structure extension is used, so
 * every message stands alone. Input from peers or disk is untrusted: every failure, trailing bytes
 * and anything that is not plain data become a CodecError MALFORMED.
 */
import { Packr } from 'msgpackr'
import { CodecError } from './errors.js'

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'bigint',
  useBigIntExtension: true,
  moreTypes: false
})

export function packRecord (value: unknown): Uint8Array {
  let packed: Uint8Array
  try {
    packed = packr.pack(value)
  } catch (err) {
    throw new CodecError('MALFORMED', `cannot pack record: ${err instanceof Error ? err.message : String(err)}`)
  }
  // msgpackr may hand back a view of its reusable buffer; copy so a later pack cannot change it.
  return new Uint8Array(packed)
}

export function unpackRecord (bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('MALFORMED', 'msgpack input must be a Uint8Array')
  if (bytes.length === 0) throw new CodecError('MALFORMED', 'msgpack input is empty')
  let values: unknown[]
  try {
    values = packr.unpackMultiple(bytes) ?? []
  } catch (err) {
    throw new CodecError('MALFORMED', `invalid msgpack: ${err instanceof Error ? err.message.slice(0, 120) : String(err)}`)
  }
  if (values.length !== 1) {
    throw new CodecError('MALFORMED', `msgpack input holds ${values.length} values; expected exactly one (trailing bytes?)`)
  }
  return toPlain(values[0], 0)
}

const MAX_DEPTH = 256

/**
 * Converts Buffers to plain Uint8Arrays and refuses everything that is not plain data (reserved
 * 0xc1 markers, decoded Error or RegExp extensions, …) so that callers only ever see what
 * `packRecord` could have been given.
 */
function toPlain (value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new CodecError('MALFORMED', 'msgpack record nested too deeply')
  if (value === null || value === undefined) return value
  switch (typeof value) {
    case 'boolean': case 'number': case 'bigint': case 'string': return value
    case 'object': break
    default: throw new CodecError('MALFORMED', `msgpack decoded an unsupported ${typeof value}`)
  }
  if (value instanceof Uint8Array) {
    return Object.getPrototypeOf(value) === Uint8Array.prototype
      ? value
      : new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength))
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toPlain(value[i], depth + 1)
    return value
  }
  if (value instanceof Date) return value
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) {
    throw new CodecError('MALFORMED', 'msgpack decoded a value that is not plain data')
  }
  const obj = value as Record<string, unknown>
  for (const key of Object.keys(obj)) obj[key] = toPlain(obj[key], depth + 1)
  return obj
}
