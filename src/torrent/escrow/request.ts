/**
 * The share request a key holder signs and the answer a validator gives (MISSION.md §8).
 *
 * Request: {chainId, card, token, height, from (holder's Ed25519 public key), signature}, signed
 * over "folio/escrow-request/v1" || RLP(chainId, card, token, height, from). The domain tag keeps
 * the signature from being valid as a transaction or anything else; the chain id keeps it from
 * being replayed on another chain; the recent height bounds how long a captured request stays
 * usable — and a replay gains nothing anyway, since the answer is sealed to `from`.
 *
 * Answer: a share sealed to the holder, or a refusal with a reason from a fixed list, each with a
 * message a person can act on. Both travel as JSON-friendly objects (RPC) or as msgpack (libp2p).
 */
import { bytes, string, struct, u53, fromHex, toHex, utf8, type Infer } from '../../codec/index.js'
import { ed25519Sign, ed25519Verify, encodeAddress, type Account } from '../../crypto/index.js'
import { TOKEN_BYTES } from '../../blocks/index.js'
import { EscrowError } from './errors.js'

const REQUEST_TAG = utf8('folio/escrow-request/v1')

const Unsigned = struct({
  chainId: string({ max: 64 }),
  card: bytes({ len: 32 }),
  token: bytes({ len: TOKEN_BYTES }),
  height: u53(),
  from: bytes({ len: 32 })
})
export const ShareRequestSchema = struct({ ...Unsigned.fields, signature: bytes({ len: 64 }) })
export type ShareRequest = Infer<typeof ShareRequestSchema>

export const REFUSALS = ['not the holder', 'stale height', 'unknown card', 'rate limited', 'bad request', 'not in committee'] as const
export type RefusalReason = typeof REFUSALS[number]

export type ShareAnswer =
  | { ok: true, validator: Uint8Array, sealed: Uint8Array }
  | { ok: false, validator: Uint8Array | null, reason: RefusalReason, message: string }

function signingBytes (r: Omit<ShareRequest, 'signature'>): Uint8Array {
  const body = Unsigned.toBytes({ chainId: r.chainId, card: r.card, token: r.token, height: r.height, from: r.from })
  const out = new Uint8Array(REQUEST_TAG.length + body.length)
  out.set(REQUEST_TAG)
  out.set(body, REQUEST_TAG.length)
  return out
}

export function signShareRequest (holder: Account, r: { chainId: string, card: Uint8Array, token: Uint8Array, height: number }): ShareRequest {
  const unsigned = { chainId: r.chainId, card: r.card, token: r.token, height: r.height, from: holder.publicKey }
  return { ...unsigned, signature: ed25519Sign(holder.secretKey, signingBytes(unsigned)) }
}

export function verifyShareRequest (r: ShareRequest): boolean {
  try {
    return ed25519Verify(r.from, signingBytes(r), r.signature)
  } catch {
    return false
  }
}

export function encodeShareRequest (r: ShareRequest): Uint8Array {
  return ShareRequestSchema.toBytes(r)
}

/** Decodes request bytes; anything malformed is BAD_REQUEST. */
export function decodeShareRequest (b: Uint8Array): ShareRequest {
  try {
    return ShareRequestSchema.fromBytes(b)
  } catch (err) {
    throw new EscrowError('BAD_REQUEST', `malformed share request: ${(err as Error).message}`)
  }
}

/** The JSON form used by `escrow_requestShare {request}`: bytes as 0x-hex. */
export function requestToJson (r: ShareRequest): Record<string, unknown> {
  return { chainId: r.chainId, card: toHex(r.card), token: toHex(r.token), height: r.height, from: toHex(r.from), signature: toHex(r.signature) }
}

export function requestFromJson (j: unknown): ShareRequest {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new EscrowError('BAD_REQUEST', 'request must be an object {chainId, card, token, height, from, signature}')
  const o = j as Record<string, unknown>
  const extra = Object.keys(o).filter(k => !['chainId', 'card', 'token', 'height', 'from', 'signature'].includes(k))
  if (extra.length > 0) throw new EscrowError('BAD_REQUEST', `unknown request field "${extra[0]!}"`)
  const hex = (name: string, len: number): Uint8Array => {
    if (typeof o[name] !== 'string') throw new EscrowError('BAD_REQUEST', `request.${name} must be 0x-hex of ${len} bytes`)
    try { return fromHex(o[name], len) } catch { throw new EscrowError('BAD_REQUEST', `request.${name} must be 0x-hex of ${len} bytes`) }
  }
  if (typeof o.chainId !== 'string' || o.chainId.length > 64) throw new EscrowError('BAD_REQUEST', 'request.chainId must be the chain id string')
  if (typeof o.height !== 'number' || !Number.isSafeInteger(o.height) || o.height < 0) throw new EscrowError('BAD_REQUEST', 'request.height must be a non-negative integer')
  return { chainId: o.chainId, card: hex('card', 32), token: hex('token', TOKEN_BYTES), height: o.height, from: hex('from', 32), signature: hex('signature', 64) }
}

export function answerToJson (a: ShareAnswer): Record<string, unknown> {
  const validator = a.validator === null ? null : encodeAddress(a.validator)
  return a.ok ? { ok: true, validator, share: toHex(a.sealed) } : { ok: false, validator, reason: a.reason, message: a.message }
}

/** Parses an answer from JSON; a malformed one is a refusal ('bad request') so the client moves on. */
export function answerFromJson (j: unknown, decodeValidator: (s: string) => Uint8Array): ShareAnswer {
  const o = (typeof j === 'object' && j !== null ? j : {}) as Record<string, unknown>
  let validator: Uint8Array | null = null
  try { validator = typeof o.validator === 'string' ? decodeValidator(o.validator) : null } catch {}
  if (o.ok === true && typeof o.share === 'string' && validator !== null) {
    try { return { ok: true, validator, sealed: fromHex(o.share) } } catch {}
  }
  const reason = REFUSALS.includes(o.reason as RefusalReason) ? o.reason as RefusalReason : 'bad request'
  return { ok: false, validator, reason, message: typeof o.message === 'string' ? o.message.slice(0, 300) : 'malformed answer' }
}
