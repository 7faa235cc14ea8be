/**
 * The consensus write-ahead log: framing, an in-memory backend, and the reader that recovers the
 * valid prefix after a crash.
 *
 * Record: u32 big-endian payload length | u32 big-endian CRC-32 (IEEE) of the payload | payload.
 * A crash can leave a partial last record (a torn write) or garbage after the last fsync; the
 * reader stops at the first record that is short or fails its checksum and reports the byte
 * length of the valid prefix, which the caller truncates to. That is recovery, not an error.
 */
import { concatBytes } from '../codec/hex.js'

export interface WalBackend {
  append(bytes: Uint8Array): Promise<void>
  /** Resolves once everything appended is durable (fsync). */
  sync(): Promise<void>
  readAll(): Promise<Uint8Array>
  truncate(length: number): Promise<void>
}

/** Records are consensus messages with their block; anything larger is corruption. */
export const MAX_WAL_RECORD_BYTES = 64 * 1024 * 1024
const HEADER_BYTES = 8

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

export function crc32 (data: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

export function encodeWalRecord (payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_WAL_RECORD_BYTES) throw new RangeError(`WAL record of ${payload.length} bytes is too large`)
  const out = new Uint8Array(HEADER_BYTES + payload.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, payload.length)
  view.setUint32(4, crc32(payload))
  out.set(payload, HEADER_BYTES)
  return out
}

export interface WalReadResult {
  records: Uint8Array[]
  /** Bytes of whole, checksummed records from the start. */
  validLength: number
  /** Why reading stopped before the end, if it did. */
  tail: null | { offset: number, reason: 'torn header' | 'torn payload' | 'checksum mismatch' | 'oversized record' }
}

export function readWalRecords (data: Uint8Array): WalReadResult {
  const records: Uint8Array[] = []
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  let at = 0
  while (at < data.length) {
    if (data.length - at < HEADER_BYTES) return { records, validLength: at, tail: { offset: at, reason: 'torn header' } }
    const length = view.getUint32(at)
    const crc = view.getUint32(at + 4)
    if (length > MAX_WAL_RECORD_BYTES) return { records, validLength: at, tail: { offset: at, reason: 'oversized record' } }
    if (data.length - at - HEADER_BYTES < length) return { records, validLength: at, tail: { offset: at, reason: 'torn payload' } }
    const payload = data.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length)
    if (crc32(payload) !== crc) return { records, validLength: at, tail: { offset: at, reason: 'checksum mismatch' } }
    records.push(payload.slice())
    at += HEADER_BYTES + length
  }
  return { records, validLength: at, tail: null }
}

/**
 * A WAL in memory that models durability: `crash()` drops whatever was appended but not synced,
 * the way a kill -9 followed by a power loss would.
 */
export class MemoryWalBackend implements WalBackend {
  private durable: Uint8Array = new Uint8Array(0)
  private pending: Uint8Array[] = []
  syncs = 0

  async append (bytes: Uint8Array): Promise<void> {
    this.pending.push(bytes.slice())
  }

  async sync (): Promise<void> {
    this.durable = concatBytes(...[this.durable, ...this.pending])
    this.pending = []
    this.syncs++
  }

  async readAll (): Promise<Uint8Array> {
    return concatBytes(...[this.durable, ...this.pending])
  }

  async truncate (length: number): Promise<void> {
    const all = await this.readAll()
    this.durable = all.slice(0, length)
    this.pending = []
  }

  /** Loses unsynced appends; `keepUnsynced` bytes of them survive, as a torn write would. */
  crash (keepUnsynced = 0): void {
    const torn = concatBytes(...this.pending).subarray(0, keepUnsynced)
    this.durable = concatBytes(...[this.durable, torn])
    this.pending = []
  }

  /** The raw durable bytes, for tests that corrupt them. */
  get bytes (): Uint8Array { return this.durable }
  set bytes (b: Uint8Array) { this.durable = b.slice(); this.pending = [] }
}
