/**
 * Conversions between node Buffers and the plain Uint8Arrays that the crypto API hands out, and
 * the base64url text that JWK key import/export uses (the fast path into node KeyObjects).
 */

/** Presents node Buffers as plain Uint8Arrays so callers never depend on Buffer methods. */
export function toUint8 (buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

/** Raw key bytes as the base64url text a JWK carries. */
export function toBase64url (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

export function fromBase64url (text: string | undefined): Uint8Array {
  return toUint8(Buffer.from(text ?? '', 'base64url'))
}
