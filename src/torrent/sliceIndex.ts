/**
 * The slice store's index layout in the KVStore. Every key starts with one prefix byte, so the
 * store can share a LevelDB with other modules, then a bucket byte and the card id:
 *   s 01 card          → card record (layout, root, flags, last use)
 *   s 02 card          → leaf hashes, packed 32 bytes each
 *   s 03 card page:u32 → presence bits of slices page×8192 … page×8192+8191
 * Card records are read back from our own disk, but a damaged database must still give a typed
 * error rather than a crash, so they are validated like peer input.
 */
import { packRecord, unpackRecord } from '../codec/index.js'
import { SwarmError } from './errors.js'
import { assertLayout } from './layout.js'
import type { CardContent } from './sliceStore.js'

export const PREFIX = 0x73 // 's'
export const META = 0x01
export const LEAVES = 0x02
export const BITS = 0x03
/** Bitfield pages of 8192 slices (1 KiB): a put rewrites one page, not a whole 128 KiB bitfield. */
export const PAGE_SLICES = 8192

export function indexKey (bucket: number, card: Uint8Array, page?: number): Uint8Array {
  const k = new Uint8Array(2 + card.length + (page == null ? 0 : 4))
  k[0] = PREFIX
  k[1] = bucket
  k.set(card, 2)
  if (page != null) new DataView(k.buffer).setUint32(2 + card.length, page)
  return k
}

export function cardHex (card: Uint8Array): string {
  return Buffer.from(card).toString('hex')
}

export interface CardRecord {
  content: CardContent
  own: boolean
  pinned: boolean
  lastUsed: number
}

export function encodeMeta (c: CardContent, own: boolean, pinned: boolean, lastUsed: number): Uint8Array {
  return packRecord([c.size, c.sliceSize, c.sliceCount, c.encrypted, c.contentRoot, own, pinned, lastUsed])
}

export function decodeMeta (bytes: Uint8Array): CardRecord {
  try {
    const r = unpackRecord(bytes)
    if (!Array.isArray(r) || r.length !== 8) throw new Error('not an 8-field record')
    const [size, sliceSize, sliceCount, encrypted, contentRoot, own, pinned, lastUsed] = r as unknown[]
    if (typeof encrypted !== 'boolean' || typeof own !== 'boolean' || typeof pinned !== 'boolean') throw new Error('bad flags')
    if (!(contentRoot instanceof Uint8Array) || contentRoot.length !== 32 || typeof lastUsed !== 'number') throw new Error('bad root or time')
    const layout = assertLayout({ size: size as number, sliceSize: sliceSize as number, sliceCount: sliceCount as number })
    return { content: { ...layout, encrypted, contentRoot }, own, pinned, lastUsed }
  } catch (err) {
    throw new SwarmError('STORE_IO', `a card record in the slice index is damaged: ${err instanceof Error ? err.message : String(err)}`)
  }
}
