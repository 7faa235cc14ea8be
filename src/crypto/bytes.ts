/**
 * Conversions between node Buffers and the plain Uint8Arrays that the crypto API hands out, and
 * the base64url text that JWK key import/export uses (the fast path into node KeyObjects).
 */
import { nodeBuffer } from '../codec/hex.js'

/**
 * Presents a node Buffer as a plain Uint8Array that owns its memory. Small Buffers are often
 * views into node's shared 8 KiB pool; handing those out would let a caller who reads `.buffer`
 * (a DataView, a transfer to a worker) see or overwrite unrelated bytes, so they are copied.
 */
export function toUint8 (buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) {
    return new Uint8Array(buf.buffer, 0, buf.byteLength)
  }
  return new Uint8Array(buf)
}

/** Raw key bytes as the base64url text a JWK carries. */
export function toBase64url (bytes: Uint8Array): string {
  return nodeBuffer(bytes).toString('base64url')
}

export function fromBase64url (text: string | undefined): Uint8Array {
  return toUint8(Buffer.from(text ?? '', 'base64url'))
}
