/**
 * The key layout of the node's LevelDB. Every committed state key lives under `s/` and is covered
 * by the state root; blocks, commits, the transaction index, metadata and secondary indexes live
 * under their own prefixes and are not part of the state (they are derivable from blocks).
 */

const enc = new TextEncoder()

export const PREFIX = {
  /** committed state (covered by the state root) */
  state: enc.encode('s/'),
  /** the state commitment's own records */
  commitment: enc.encode('c/'),
  /** block by height */
  block: enc.encode('b/'),
  /** commit by height */
  commit: enc.encode('m/'),
  /** block height by hash */
  blockHash: enc.encode('h/'),
  /** transaction location and result by id */
  tx: enc.encode('t/'),
  /** node metadata (head, genesis hash) */
  meta: enc.encode('x/'),
  /** secondary indexes (feed etc.) */
  index: enc.encode('i/')
} as const

/**
 * UTF-8 of the short strings keys are built from (areas such as `acct`, separators): a handful of
 * distinct values, encoded on every state read otherwise. Longer or rarer strings are encoded as
 * they come; the cache is emptied if it ever fills.
 */
const partBytes = new Map<string, Uint8Array>()

function textPart (p: string): Uint8Array {
  let b = partBytes.get(p)
  if (b === undefined) {
    b = enc.encode(p)
    if (p.length > 32) return b
    if (partBytes.size >= 1024) partBytes.clear()
    partBytes.set(p, b)
  }
  return b
}

export function concatKey (...parts: Array<Uint8Array | string>): Uint8Array {
  const bytes = parts.map(p => typeof p === 'string' ? textPart(p) : p)
  let len = 0
  for (const b of bytes) len += b.length
  const out = new Uint8Array(len)
  let off = 0
  for (const b of bytes) { out.set(b, off); off += b.length }
  return out
}

/** A state key: `s/` + area + `/` + parts. Areas are short names such as `acct`. */
export function stateKey (area: string, ...parts: Uint8Array[]): Uint8Array {
  return concatKey(PREFIX.state, area, '/', ...parts)
}

/** Big-endian fixed-width height, so that LevelDB orders heights numerically. */
export function heightKey (height: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(height))
  return out
}

export function readHeightKey (bytes: Uint8Array, offset = 0): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset + offset, 8).getBigUint64(0))
}

/** The exclusive upper bound of every key starting with `prefix`. */
export function prefixEnd (prefix: Uint8Array): Uint8Array {
  const out = Uint8Array.from(prefix)
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]++
      return out.slice(0, i + 1)
    }
  }
  return new Uint8Array([0xff, 0xff, 0xff, 0xff])
}
