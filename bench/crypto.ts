/**
 * Crypto benchmark: native (node:crypto, via src/crypto) against @noble (pure JS), the figures
 * behind MISSION.md §3. Prints a table and writes bench/results/crypto.json.
 *
 *   node --import ./src/polyfill.js --import tsx bench/crypto.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { ed25519 as nobleEd25519, x25519 as nobleX25519 } from '@noble/curves/ed25519.js'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import {
  sha256, randomBytes, ed25519Generate, ed25519Sign, ed25519Verify, clearEd25519KeyCache,
  x25519Generate, x25519SharedSecret, aeadEncrypt, aeadDecrypt, sliceNonce, sealTo, openSealed
} from '../src/crypto/index.js'

const RUNS = 3
const OPS_WINDOW_MS = 400
const MiB = 1024 * 1024

interface Row { operation: string, unit: string, native: number, noble: number | null, speedup: number | null }

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Operations per second: `fn` repeated for a fixed window, median of RUNS windows. */
function opsPerSecond (fn: (i: number) => void): number {
  for (let i = 0; i < 20; i++) fn(i) // warm-up
  const rates: number[] = []
  for (let run = 0; run < RUNS; run++) {
    let count = 0
    const start = performance.now()
    let elapsed = 0
    while (elapsed < OPS_WINDOW_MS) {
      for (let k = 0; k < 10; k++) fn(count++)
      elapsed = performance.now() - start
    }
    rates.push(count / (elapsed / 1000))
  }
  return median(rates)
}

/** Throughput in MB/s (10^6 bytes) of `fn` processing `bytes` per call, median of RUNS calls. */
function megabytesPerSecond (bytes: number, fn: () => void): number {
  fn()
  const rates: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now()
    fn()
    rates.push(bytes / 1e6 / ((performance.now() - start) / 1000))
  }
  return median(rates)
}

function row (operation: string, unit: string, native: number, noble: number | null): Row {
  return { operation, unit, native: Math.round(native), noble: noble === null ? null : Math.round(noble), speedup: noble === null ? null : Number((native / noble).toFixed(1)) }
}

const rows: Row[] = []

// SHA-256 over one large buffer.
const hashInput = randomBytes(16 * MiB)
rows.push(row('SHA-256, 16 MiB', 'MB/s',
  megabytesPerSecond(hashInput.length, () => sha256(hashInput)),
  megabytesPerSecond(hashInput.length, () => nobleSha256(hashInput))))

// ChaCha20-Poly1305 over 256 KiB slices, as the swarm encrypts content.
const SLICE = 256 * 1024
const SLICES = 32
const key = randomBytes(32)
const slices = Array.from({ length: SLICES }, () => randomBytes(SLICE))
const sealedNative = slices.map((s, i) => aeadEncrypt(key, sliceNonce(i), s))
rows.push(row('ChaCha20-Poly1305 encrypt, 256 KiB slices', 'MB/s',
  megabytesPerSecond(SLICE * SLICES, () => slices.forEach((s, i) => aeadEncrypt(key, sliceNonce(i), s))),
  megabytesPerSecond(SLICE * SLICES, () => slices.forEach((s, i) => chacha20poly1305(key, sliceNonce(i)).encrypt(s)))))
rows.push(row('ChaCha20-Poly1305 decrypt, 256 KiB slices', 'MB/s',
  megabytesPerSecond(SLICE * SLICES, () => sealedNative.forEach((s, i) => aeadDecrypt(key, sliceNonce(i), s))),
  megabytesPerSecond(SLICE * SLICES, () => sealedNative.forEach((s, i) => chacha20poly1305(key, sliceNonce(i)).decrypt(s)))))

// Ed25519 with a small set of signers, as a node sees its validator set.
const signers = Array.from({ length: 16 }, () => ed25519Generate())
const message = randomBytes(200)
const signatures = signers.map((p) => ed25519Sign(p.secretKey, message))
rows.push(row('Ed25519 sign (cached key)', 'ops/s',
  opsPerSecond((i) => ed25519Sign(signers[i % 16]!.secretKey, message)),
  opsPerSecond((i) => nobleEd25519.sign(message, signers[i % 16]!.secretKey))))
rows.push(row('Ed25519 verify (cached key)', 'ops/s',
  opsPerSecond((i) => ed25519Verify(signers[i % 16]!.publicKey, message, signatures[i % 16]!)),
  opsPerSecond((i) => nobleEd25519.verify(signatures[i % 16]!, message, signers[i % 16]!.publicKey))))
rows.push(row('Ed25519 verify (uncached key)', 'ops/s',
  opsPerSecond((i) => {
    clearEd25519KeyCache()
    ed25519Verify(signers[i % 16]!.publicKey, message, signatures[i % 16]!)
  }), null))

// X25519 with a fresh peer key each time (ephemeral keys in sealTo are never reused).
const me = x25519Generate()
const peers = Array.from({ length: 256 }, () => x25519Generate().publicKey)
rows.push(row('X25519 shared secret', 'ops/s',
  opsPerSecond((i) => x25519SharedSecret(me.secretKey, peers[i % 256]!)),
  opsPerSecond((i) => nobleX25519.getSharedSecret(me.secretKey, peers[i % 256]!))))

const contentKey = randomBytes(32)
const wrapped = sealTo(me.publicKey, contentKey, 'folio/bench/v1')
rows.push(row('sealTo (32-byte key)', 'ops/s', opsPerSecond(() => sealTo(me.publicKey, contentKey, 'folio/bench/v1')), null))
rows.push(row('openSealed (32-byte key)', 'ops/s', opsPerSecond(() => openSealed(me.secretKey, wrapped, 'folio/bench/v1')), null))

console.table(rows)

const outPath = join(dirname(fileURLToPath(import.meta.url)), 'results', 'crypto.json')
mkdirSync(dirname(outPath), { recursive: true })
writeFileSync(outPath, JSON.stringify({
  benchmark: 'crypto',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  runs: RUNS,
  rows
}, null, 2) + '\n')
console.log(`wrote ${outPath}`)
