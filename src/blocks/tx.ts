/**
 * The transaction envelope (MISSION.md §4): its canonical bytes, signing bytes, id, signature and
 * the rules a transaction must meet before any state is consulted. Byte layout (docs/format.md):
 *
 *   tx      = RLP([type, chainId, from(32), nonce, fee, body, signature(64)])
 *   signing = RLP(["folio/tx/v1", chainId, type, from, nonce, fee, body])
 *   id      = sha256(signing)
 *
 * The domain tag leads the signing bytes so that no tx signature can be replayed as a vote,
 * proposal or voucher signature, and the chain id follows it so it cannot be replayed on another
 * chain. The id deliberately leaves the signature out: a signer can produce many valid signatures
 * for one message, and an id over them would give one transaction many ids — defeating duplicate
 * and replay detection and letting anyone change a card's id (a card id is its tx id) in flight.
 */
import { CodecError } from '../codec/errors.js'
import { fromHex, toHex, utf8, fromUtf8 } from '../codec/hex.js'
import { bytesToUint, expectBytes, expectList, rlpDecode, rlpEncode, uintToBytes } from '../codec/rlp.js'
import type { RlpItem } from '../codec/rlp.js'
import type { Json } from '../codec/schema.js'
import { addressFromPublicKey, ed25519Sign, ed25519Verify, sha256 } from '../crypto/index.js'
import { BlockError } from './errors.js'
import { isKnownTxType, txTypeSpec, MAX_TX_TYPE_LENGTH } from './txTypes.js'
import type { Tx } from './types.js'

export const TX_DOMAIN = 'folio/tx/v1'
export const MAX_CHAIN_ID_LENGTH = 64
export const PUBLIC_KEY_LENGTH = 32
export const SIGNATURE_LENGTH = 64
/** Refuses absurd inputs before decoding when the caller gives no tighter limit. */
export const DEFAULT_MAX_TX_BYTES = 1 << 20
const MAX_NONCE = (1n << 64n) - 1n
const MAX_FEE = (1n << 128n) - 1n

export type UnsignedTx = Omit<Tx, 'signature'>

function checkText (value: unknown, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0) throw new CodecError('MALFORMED', `${what}: expected a non-empty string`)
  // Limits count code points, as the schema codec does, so header and tx agree on a chain id.
  if (value.length > max && [...value].length > max) throw new CodecError('TOO_LARGE', `${what}: longer than ${max} characters`)
  return value
}

function checkFixed (value: unknown, what: string, length: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CodecError('MALFORMED', `${what}: expected a Uint8Array`)
  if (value.length !== length) throw new CodecError('WRONG_LENGTH', `${what}: expected ${length} bytes, got ${value.length}`)
  return value
}

function checkUint (value: unknown, what: string, max: bigint): bigint {
  if (typeof value !== 'bigint') throw new CodecError('MALFORMED', `${what}: expected a bigint`)
  if (value < 0n || value > max) throw new CodecError('OUT_OF_RANGE', `${what}: ${value} is outside 0..${max}`)
  return value
}

function bodyItem (tx: UnsignedTx): RlpItem {
  const spec = txTypeSpec(checkText(tx.type, 'type', MAX_TX_TYPE_LENGTH))
  return spec.schema.encodeAt(tx.body, 'body')
}

/** The fields shared by the wire form and the signing bytes, validated. */
/** A transaction's items as on the wire, without the signature: type, chainId, from, nonce, fee, body. */
function coreItems (tx: UnsignedTx): RlpItem[] {
  return [
    utf8(checkText(tx.type, 'type', MAX_TX_TYPE_LENGTH)),
    utf8(checkText(tx.chainId, 'chainId', MAX_CHAIN_ID_LENGTH)),
    checkFixed(tx.from, 'from', PUBLIC_KEY_LENGTH),
    uintToBytes(checkUint(tx.nonce, 'nonce', MAX_NONCE)),
    uintToBytes(checkUint(tx.fee, 'fee', MAX_FEE)),
    bodyItem(tx)
  ]
}

export function txToRlp (tx: Tx): RlpItem {
  return [...coreItems(tx), checkFixed(tx.signature, 'signature', SIGNATURE_LENGTH)]
}

/** Canonical bytes of a signed transaction; throws CodecError for a value that cannot be encoded. */
/**
 * Derived bytes of a transaction, computed once per object: admission, execution, block building
 * and the RPC all ask for the same id, signing bytes and encoding, and re-encoding each time was the
 * largest cost of a transfer's path through the node. Transactions are therefore immutable: build
 * a new object (as `signTx` does) rather than changing a field of one.
 */
interface TxMemo { item?: RlpItem, encoded?: Uint8Array, signing?: Uint8Array, id?: Uint8Array, sender?: Uint8Array }
/**
 * The memo rides on the transaction object itself, as a non-enumerable property: spread, JSON and
 * structured clone leave it behind, so a copy never inherits another object's bytes. Not in a
 * WeakMap keyed by the object: every transaction is a fresh object, and V8 pays for each young key
 * set into a long-lived WeakMap (a malloc'd ephemeron remembered-set entry, revisited by every
 * young-generation collection; docs/benchmarks.md has the measurement). A frozen object, which
 * cannot take the property, keeps its memo in a WeakMap.
 */
const MEMO = Symbol('folio.txMemo')
const frozenMemos = new WeakMap<object, TxMemo>()

function peekMemo (tx: object): TxMemo | undefined {
  const own = (tx as { [MEMO]?: TxMemo })[MEMO]
  return own !== undefined || Object.isExtensible(tx) ? own : frozenMemos.get(tx)
}

function memoOf (tx: object): TxMemo {
  let m = peekMemo(tx)
  if (m === undefined) {
    m = {}
    if (Object.isExtensible(tx)) Object.defineProperty(tx, MEMO, { value: m })
    else frozenMemos.set(tx, m)
  }
  return m
}

export function encodeTx (tx: Tx): Uint8Array {
  const m = memoOf(tx)
  m.encoded ??= rlpEncode(txToRlpMemo(tx))
  return m.encoded
}

/** The transaction's RLP item, computed once per object. */
export function txToRlpMemo (tx: Tx): RlpItem {
  const m = memoOf(tx)
  m.item ??= txToRlp(tx)
  return m.item
}

function readText (item: RlpItem, what: string, max: number): string {
  const raw = expectBytes(item, what)
  if (raw.length > max * 4) throw new CodecError('TOO_LARGE', `${what}: ${raw.length} bytes cannot hold at most ${max} characters`)
  let text: string
  try {
    text = fromUtf8(raw)
  } catch (err) {
    if (err instanceof CodecError) throw new CodecError(err.code, `${what}: ${err.message}`)
    throw err
  }
  return checkText(text, what, max)
}

function readFixed (item: RlpItem, what: string, length: number): Uint8Array {
  return checkFixed(expectBytes(item, what), what, length)
}

function readUint (item: RlpItem, what: string, max: bigint): bigint {
  const raw = expectBytes(item, what)
  let v: bigint
  try {
    v = bytesToUint(raw, 32)
  } catch (err) {
    if (err instanceof CodecError) throw new CodecError(err.code, `${what}: ${err.message}`)
    throw err
  }
  return checkUint(v, what, max)
}

export function txFromRlp (item: RlpItem): Tx {
  const [type, chainId, from, nonce, fee, body, signature] = expectList(item, 'transaction', 7)
  const typeName = readText(type, 'type', MAX_TX_TYPE_LENGTH)
  const spec = txTypeSpec(typeName)
  if (spec.maxBytes !== undefined) {
    const bodyBytes = rlpEncode(body).length
    if (bodyBytes > spec.maxBytes) {
      throw new CodecError('TOO_LARGE', `body: ${bodyBytes} bytes exceeds the ${spec.maxBytes}-byte limit for ${typeName}`)
    }
  }
  return {
    type: typeName,
    chainId: readText(chainId, 'chainId', MAX_CHAIN_ID_LENGTH),
    from: readFixed(from, 'from', PUBLIC_KEY_LENGTH),
    nonce: readUint(nonce, 'nonce', MAX_NONCE),
    fee: readUint(fee, 'fee', MAX_FEE),
    body: spec.schema.decodeAt(body, 'body'),
    signature: readFixed(signature, 'signature', SIGNATURE_LENGTH)
  }
}

/**
 * A transaction from its strictly decoded item and the bytes that item was decoded from. The
 * decoder accepts only canonical bytes, so these are the transaction's own encoding: its id,
 * signing bytes and size then come from them without encoding any field again.
 */
export function txFromWire (item: RlpItem, encoded: Uint8Array): Tx {
  const tx = txFromRlp(item)
  const m = memoOf(tx)
  m.item = item
  m.encoded = encoded
  return tx
}

/**
 * Strict decoder: only the canonical encoding of a well-formed transaction of a known type. The
 * transaction keeps `bytes` itself, not a copy, as its encoding.
 */
export function decodeTx (bytes: Uint8Array, opts: { maxBytes?: number } = {}): Tx {
  return txFromWire(rlpDecode(bytes, opts.maxBytes ?? DEFAULT_MAX_TX_BYTES), bytes)
}

const TX_DOMAIN_BYTES = utf8(TX_DOMAIN)

export function txSigningBytes (tx: UnsignedTx | Tx): Uint8Array {
  const m = memoOf(tx)
  if (m.signing === undefined) {
    // the wire items of a decode (or an earlier encode) are canonical: sign over them as they are
    // rather than encoding the body again from its fields
    const [type, chainId, from, nonce, fee, body] = m.item !== undefined ? m.item as RlpItem[] : coreItems(tx)
    m.signing = rlpEncode([TX_DOMAIN_BYTES, chainId, type, from, nonce, fee, body])
  }
  return m.signing
}

export function txId (tx: UnsignedTx | Tx): Uint8Array {
  const m = memoOf(tx)
  m.id ??= sha256(txSigningBytes(tx))
  return m.id
}

/** `secretKey` is the 32-byte Ed25519 seed whose public key is `unsigned.from`. */
export function signTx (unsigned: UnsignedTx | Tx, secretKey: Uint8Array): Tx {
  const tx = { ...unsigned }
  delete (tx as Partial<Tx>).signature
  return { ...tx, signature: ed25519Sign(secretKey, txSigningBytes(tx)) }
}

export function verifyTxSignature (tx: Tx): boolean {
  let message: Uint8Array
  try {
    message = txSigningBytes(tx)
  } catch (err) {
    if (err instanceof CodecError) return false
    throw err
  }
  return ed25519Verify(tx.from, message, tx.signature)
}

/** The 20-byte account address of the sender. */
export function txSender (tx: Pick<Tx, 'from'>): Uint8Array {
  const m = memoOf(tx)
  m.sender ??= addressFromPublicKey(tx.from)
  return m.sender
}

export interface TxJson {
  type: string
  chainId: string
  from: string
  nonce: string
  fee: string
  body: Json
  signature: string
}

export function txToJSON (tx: Tx): TxJson {
  return {
    type: tx.type,
    chainId: tx.chainId,
    from: toHex(tx.from),
    nonce: tx.nonce.toString(),
    fee: tx.fee.toString(),
    body: txTypeSpec(tx.type).schema.toJSONAt(tx.body, 'body'),
    signature: toHex(tx.signature)
  }
}

const TX_JSON_KEYS = ['type', 'chainId', 'from', 'nonce', 'fee', 'body', 'signature']
const DECIMAL = /^(0|[1-9][0-9]*)$/

function jsonUint (value: unknown, what: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  if (typeof value !== 'string' || !DECIMAL.test(value)) throw new CodecError('MALFORMED', `${what}: expected a decimal string`)
  return BigInt(value)
}

/** Parses the JSON form; throws CodecError naming the bad field. The result still needs validation. */
export function txFromJSON (json: unknown): Tx {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CodecError('MALFORMED', 'transaction: expected an object')
  const o = json as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!TX_JSON_KEYS.includes(key)) throw new CodecError('MALFORMED', `${key}: unknown field`)
  }
  const type = checkText(o.type, 'type', MAX_TX_TYPE_LENGTH)
  const at = <T>(what: string, fn: () => T): T => {
    try {
      return fn()
    } catch (err) {
      if (err instanceof CodecError && !err.message.startsWith(what)) throw new CodecError(err.code, `${what}: ${err.message}`)
      throw err
    }
  }
  const tx: Tx = {
    type,
    chainId: checkText(o.chainId, 'chainId', MAX_CHAIN_ID_LENGTH),
    from: at('from', () => fromHex(o.from as string, PUBLIC_KEY_LENGTH)),
    nonce: checkUint(jsonUint(o.nonce, 'nonce'), 'nonce', MAX_NONCE),
    fee: checkUint(jsonUint(o.fee, 'fee'), 'fee', MAX_FEE),
    body: txTypeSpec(type).schema.fromJSONAt(o.body, 'body'),
    signature: at('signature', () => fromHex(o.signature as string, SIGNATURE_LENGTH))
  }
  return tx
}

export interface TxRules {
  chainId: string
  /** Minimum fee for a transaction of the given encoded size (genesis base + per byte). */
  minFee: (txBytes: number) => bigint
  maxTxBytes: number
  /**
   * Lets a caller skip the signature check of a transaction it has verified before (e.g. one its
   * pool admitted): true only for this exact transaction, its signature included.
   */
  isVerified?: (tx: Tx) => boolean
  /** Every rule but the signature, which the caller checks itself (e.g. on a worker thread). */
  skipSignature?: boolean
}

function asBlockError (err: unknown, code: 'INVALID_TX' | 'INVALID_BODY'): BlockError {
  if (err instanceof BlockError) return err
  if (err instanceof CodecError) {
    if (err.code === 'UNKNOWN_TYPE') return new BlockError('UNKNOWN_TX_TYPE', err.message)
    return new BlockError(code, err.message, { cause: err.code })
  }
  throw err
}

/**
 * The rules that need no state: right chain, known type with a valid body, size, fee floor and
 * signature. Checked cheapest first; the signature last because it costs the most.
 */
export function validateTxStateless (tx: Tx, rules: TxRules): void {
  // Rule: a transaction is only valid on the chain it names (replay protection across chains).
  if (tx.chainId !== rules.chainId) {
    throw new BlockError('WRONG_CHAIN', `transaction is for chain "${String(tx.chainId).slice(0, MAX_CHAIN_ID_LENGTH)}", this chain is "${rules.chainId}"`)
  }
  // Rule: the type is registered and the body matches its schema.
  if (typeof tx.type !== 'string' || !isKnownTxType(tx.type)) {
    throw new BlockError('UNKNOWN_TX_TYPE', `unknown transaction type "${String(tx.type).slice(0, MAX_TX_TYPE_LENGTH + 8)}"`)
  }
  if (peekMemo(tx)?.item === undefined) {
    try {
      bodyItem(tx)
    } catch (err) {
      throw asBlockError(err, 'INVALID_BODY')
    }
  }
  let item: RlpItem
  let size: number
  try {
    item = txToRlpMemo(tx)
    size = encodeTx(tx).length
  } catch (err) {
    throw asBlockError(err, 'INVALID_TX')
  }
  // Rule: size limits — the chain's for every transaction, and the type's own for its body.
  if (size > rules.maxTxBytes) {
    throw new BlockError('TOO_LARGE', `transaction of ${size} bytes exceeds the limit of ${rules.maxTxBytes}`)
  }
  const spec = txTypeSpec(tx.type)
  if (spec.maxBytes !== undefined) {
    const bodyBytes = rlpEncode((item as RlpItem[])[5]).length
    if (bodyBytes > spec.maxBytes) {
      throw new BlockError('TOO_LARGE', `${tx.type} body of ${bodyBytes} bytes exceeds the limit of ${spec.maxBytes}`)
    }
  }
  // Rule: the fee covers the minimum for this size (it pays the proposer for the space).
  const min = rules.minFee(size)
  if (tx.fee < min) {
    throw new BlockError('FEE_TOO_LOW', `fee ${tx.fee} below minimum ${min} for a ${size}-byte transaction`)
  }
  // Rule: signed by the key in `from` over the signing bytes.
  if (rules.skipSignature === true) return
  if (rules.isVerified !== undefined && rules.isVerified(tx)) return
  const signing = txSigningBytes(tx)
  if (!ed25519Verify(tx.from, signing, tx.signature)) {
    throw new BlockError('BAD_SIGNATURE', `signature does not verify for sender ${toHex(tx.from)} over transaction ${toHex(sha256(signing))}`)
  }
}
