/**
 * Ed25519 verification of many signatures at once, on worker threads.
 *
 * A validator checks the signature of every transaction it hears of, and that is the single
 * largest CPU cost of following the chain. Checked on the main thread, a gossiped batch of a few
 * hundred transactions holds the event loop for tens of milliseconds, and proposals and votes
 * wait behind it. The verifier hands batches to worker threads (verifyWorker.js), so the checks
 * use the machine's other cores and the event loop stays free for consensus.
 *
 * `workers: 0` verifies on the calling thread, in slices that yield to the event loop between
 * them. A worker that fails is replaced; the checks it held are done on the calling thread, so a
 * crashed worker never turns into a wrong answer.
 *
 *   const verifier = new SignatureVerifier({ workers: 2 })
 *   const ok = await verifier.verifyMany([{ publicKey, message, signature }])   // [true]
 *   await verifier.close()
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { ed25519Verify, isSmallOrderPublicKey, ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH } from './ed25519.js'

export interface SignatureCheck {
  publicKey: Uint8Array
  message: Uint8Array
  signature: Uint8Array
}

export interface VerifierOptions {
  /** Worker threads; 0 verifies on the calling thread. Default: one less than the cores, 1 to 4. */
  workers?: number
  /**
   * Batches with fewer checks than this are verified on the calling thread: a round trip to a
   * worker costs about 30 µs of CPU, as much as half a verification, and a few checks hold the
   * event loop for well under a millisecond. Default 4.
   */
  inlineBelow?: number
}

/** Checks verified inline between two yields to the event loop (about 5 ms of work). */
const INLINE_SLICE = 64
const WORKER_URL = new URL('./verifyWorker.js', import.meta.url)

export function defaultVerifyWorkers (): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1))
}

interface Pending {
  checks: SignatureCheck[]
  resolve: (valid: boolean[]) => void
}

interface Slot {
  worker: Worker
  pending: Map<number, Pending>
}

const yieldToLoop = async (): Promise<void> => await new Promise(resolve => setImmediate(resolve))

/** A malformed key or signature, or a small-order key: invalid without asking OpenSSL. */
function obviouslyInvalid (c: SignatureCheck): boolean {
  return !(c.publicKey instanceof Uint8Array) || c.publicKey.length !== ED25519_PUBLIC_KEY_LENGTH ||
    !(c.signature instanceof Uint8Array) || c.signature.length !== ED25519_SIGNATURE_LENGTH ||
    !(c.message instanceof Uint8Array) || isSmallOrderPublicKey(c.publicKey)
}

function pack (checks: SignatureCheck[]): ArrayBuffer {
  let size = 4
  for (const c of checks) size += 100 + c.message.length
  const buf = new ArrayBuffer(size)
  const bytes = new Uint8Array(buf)
  const view = new DataView(buf)
  view.setUint32(0, checks.length)
  let at = 4
  for (const c of checks) {
    bytes.set(c.publicKey, at)
    bytes.set(c.signature, at + 32)
    view.setUint32(at + 96, c.message.length)
    bytes.set(c.message, at + 100)
    at += 100 + c.message.length
  }
  return buf
}

async function verifyInline (checks: SignatureCheck[]): Promise<boolean[]> {
  const out: boolean[] = []
  for (let i = 0; i < checks.length; i++) {
    if (i > 0 && i % INLINE_SLICE === 0) await yieldToLoop()
    const c = checks[i]
    out.push(ed25519Verify(c.publicKey, c.message, c.signature))
  }
  return out
}

export class SignatureVerifier {
  readonly workers: number
  readonly inlineBelow: number
  /** Batches answered on the calling thread and on workers, for tests and metrics. */
  readonly batches = { inline: 0, worker: 0 }
  private readonly slots: Slot[] = []
  private nextId = 0
  private next = 0
  private closed = false

  constructor (opts: VerifierOptions = {}) {
    this.workers = opts.workers ?? defaultVerifyWorkers()
    if (!Number.isInteger(this.workers) || this.workers < 0) throw new RangeError(`verifier workers must be a whole number ≥ 0, got ${this.workers}`)
    this.inlineBelow = opts.inlineBelow ?? 4
    if (!Number.isInteger(this.inlineBelow) || this.inlineBelow < 0) throw new RangeError(`verifier inlineBelow must be a whole number ≥ 0, got ${this.inlineBelow}`)
    for (let i = 0; i < this.workers; i++) this.slots.push(this.spawn())
  }

  /** One answer per check, in order: true when the signature is valid for the key and message. */
  async verifyMany (checks: SignatureCheck[]): Promise<boolean[]> {
    if (checks.length === 0) return []
    const out: boolean[] = new Array(checks.length).fill(false)
    const forward: SignatureCheck[] = []
    const at: number[] = []
    checks.forEach((c, i) => {
      if (obviouslyInvalid(c)) return
      forward.push(c)
      at.push(i)
    })
    if (forward.length === 0) return out
    const inline = this.closed || this.slots.length === 0 || forward.length < this.inlineBelow
    if (inline) this.batches.inline++
    else this.batches.worker++
    const valid = inline ? await verifyInline(forward) : await this.onWorker(forward)
    valid.forEach((v, k) => { out[at[k]] = v })
    return out
  }

  async verify (check: SignatureCheck): Promise<boolean> {
    return (await this.verifyMany([check]))[0]
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    const slots = this.slots.splice(0)
    await Promise.all(slots.map(async (slot) => {
      slot.worker.removeAllListeners()
      await slot.worker.terminate()
      // whatever a closing worker still held is answered here
      await this.settleInline(slot)
    }))
  }

  private async onWorker (checks: SignatureCheck[]): Promise<boolean[]> {
    if (checks.length === 0) return []
    const slot = this.slots[this.next++ % this.slots.length]
    const id = this.nextId++
    return await new Promise<boolean[]>((resolve) => {
      slot.pending.set(id, { checks, resolve })
      const buf = pack(checks)
      slot.worker.postMessage({ id, buf }, [buf])
    })
  }

  private spawn (): Slot {
    const worker = new Worker(WORKER_URL)
    // verification never keeps a process alive on its own
    worker.unref()
    const slot: Slot = { worker, pending: new Map() }
    worker.on('message', ({ id, valid }: { id: number, valid: Uint8Array }) => {
      const p = slot.pending.get(id)
      if (p === undefined) return
      slot.pending.delete(id)
      p.resolve(Array.from(valid, v => v === 1))
    })
    const replace = (): void => {
      const i = this.slots.indexOf(slot)
      if (i < 0) return
      worker.removeAllListeners()
      if (!this.closed) this.slots[i] = this.spawn()
      void this.settleInline(slot)
    }
    worker.on('error', replace)
    worker.on('exit', replace)
    return slot
  }

  private async settleInline (slot: Slot): Promise<void> {
    const pending = [...slot.pending.values()]
    slot.pending.clear()
    for (const p of pending) p.resolve(await verifyInline(p.checks))
  }
}
