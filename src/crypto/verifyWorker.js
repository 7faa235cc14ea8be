// A worker thread of the signature verifier (verifier.ts): checks batches of Ed25519 signatures
// with node:crypto and answers with one byte per check (1 valid, 0 not). Plain JavaScript on
// purpose: a worker thread does not inherit the TypeScript loader the node runs under.
//
// Request:  { id, buf } where buf packs n checks as
//           u32 n, then per check: key[32] ‖ signature[64] ‖ u32 message length ‖ message
// Response: { id, valid: Uint8Array(n) }
import { parentPort } from 'node:worker_threads'
import { createPublicKey, verify } from 'node:crypto'

const KEY_CACHE = 10_000
const keys = new Map()

function keyObject (raw) {
  const id = Buffer.from(raw).toString('latin1')
  let key = keys.get(id)
  if (key === undefined) {
    // JWK import: see ed25519.ts for why it beats DER
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' })
    keys.set(id, key)
    if (keys.size > KEY_CACHE) keys.delete(keys.keys().next().value)
  }
  return key
}

parentPort.on('message', ({ id, buf }) => {
  const bytes = new Uint8Array(buf)
  const view = new DataView(buf)
  const n = view.getUint32(0)
  const valid = new Uint8Array(n)
  let at = 4
  for (let i = 0; i < n; i++) {
    const key = bytes.subarray(at, at + 32)
    const signature = bytes.subarray(at + 32, at + 96)
    const length = view.getUint32(at + 96)
    const message = bytes.subarray(at + 100, at + 100 + length)
    at += 100 + length
    try {
      valid[i] = verify(null, message, keyObject(key), signature) ? 1 : 0
    } catch {
      valid[i] = 0
    }
  }
  parentPort.postMessage({ id, valid }, [valid.buffer])
})
