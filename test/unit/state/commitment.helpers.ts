/**
 * An independent, deliberately naive reference for the state root (straight from the layout in
 * docs/state-commitment.md, on node:crypto directly) and key helpers shared by the commitment
 * tests.
 */
import { createHash } from 'node:crypto'

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

function h (...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256')
  for (const p of parts) hash.update(p)
  return hash.digest()
}

export function bucketOf (key: Uint8Array): number {
  const kh = h(key)
  return kh[0] * 256 + kh[1]
}

/**
 * The root of `state`: every bucket hashed from its sorted pairs, then the 16-level tree, with
 * all-empty subtrees taken from a table built by hashing empty children upwards.
 */
export function referenceRoot (state: Map<string, string>): Uint8Array {
  const buckets = new Map<number, Array<[Buffer, Buffer]>>()
  for (const [k, v] of state) {
    const kh = h(enc(k))
    const b = kh[0] * 256 + kh[1]
    const list = buckets.get(b) ?? []
    list.push([kh, h(enc(v))])
    buckets.set(b, list)
  }
  const empty = [h(Uint8Array.of(2), Buffer.alloc(4))]
  for (let i = 1; i <= 16; i++) empty.push(h(Uint8Array.of(1), empty[i - 1], empty[i - 1]))
  const occupied = [...buckets.keys()].sort((a, b) => a - b)
  const anyIn = (first: number, last: number): boolean => {
    let lo = 0
    let hi = occupied.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (occupied[mid] < first) lo = mid + 1
      else hi = mid
    }
    return lo < occupied.length && occupied[lo] < last
  }
  const node = (height: number, first: number): Buffer => {
    if (!anyIn(first, first + (1 << height))) return empty[height]
    if (height === 0) {
      const list = (buckets.get(first) ?? []).sort((x, y) => Buffer.compare(x[0], y[0]))
      const count = Buffer.alloc(4)
      count.writeUInt32BE(list.length)
      return h(Uint8Array.of(2), count, ...list.flat())
    }
    const half = 1 << (height - 1)
    return h(Uint8Array.of(1), node(height - 1, first), node(height - 1, first + half))
  }
  return new Uint8Array(node(16, 0))
}

/** Two distinct keys `prefix<i>` that share a bucket, and a third one in that bucket too. */
export function collidingKeys (prefix: string): string[] {
  const seen = new Map<number, string[]>()
  for (let i = 0; ; i++) {
    const key = `${prefix}${i}`
    const b = bucketOf(enc(key))
    const list = seen.get(b) ?? []
    list.push(key)
    seen.set(b, list)
    if (list.length === 3) return list
  }
}

export function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
