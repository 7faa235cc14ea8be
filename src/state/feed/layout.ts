/**
 * Key layout of the feed indexes under `i/feed/` (docs/feed.md). Every posting key ends with the
 * card's 12-byte sequence (height, index in block — both big-endian, so byte order is time order)
 * and its 32-byte id, and has an empty value: a range scan in reverse is "newest first".
 *
 *   i/feed/a/<seq><id>                   all cards
 *   i/feed/k/<kind>/<seq><id>            by kind
 *   i/feed/c/<creator20><seq><id>        by creator
 *   i/feed/$/<0|1><seq><id>              by price class (0 free, 1 paid)
 *   i/feed/r/<parent32><seq><id>         replies by parent
 *   i/feed/t/<tag>\0<seq><id>            by tag (lowercased)
 *   i/feed/w/<word>\0<seq><id>           inverted text index (title, body, tags)
 *   i/feed/o/<sort>/<list><score8><seq><id>  score orders (top, trending, seeded) of every posting
 *                                        list above except words: <list> is `a/`, `k/<kind>/`, …
 *   i/feed/d/<id>                        the card's index document (msgpack)
 *   i/feed/n/<posting prefix>            number of entries of a posting list (u64)
 *   i/feed/m/<name>                      index metadata (version, height, cursor secret)
 */
import { PREFIX, concatKey, heightKey } from '../keys.js'
import { utf8 } from '../../codec/index.js'

export const FEED = concatKey(PREFIX.index, 'feed/')
export const SEQ_BYTES = 12
export const ID_BYTES = 32
export const SUFFIX_BYTES = SEQ_BYTES + ID_BYTES
export const SCORE_BYTES = 8

export type ScoreSort = 'top' | 'trending' | 'seeded'
export const SCORE_SORTS: readonly ScoreSort[] = ['top', 'trending', 'seeded']

const NUL = Uint8Array.of(0)

export function seqOf (height: number, index: number): Uint8Array {
  const out = new Uint8Array(SEQ_BYTES)
  out.set(heightKey(height), 0)
  new DataView(out.buffer).setUint32(8, index)
  return out
}

export function heightOfSeq (seq: Uint8Array): number {
  return Number(new DataView(seq.buffer, seq.byteOffset, 8).getBigUint64(0))
}

export const allList = (): Uint8Array => concatKey(FEED, 'a/')
export const kindList = (kind: string): Uint8Array => concatKey(FEED, 'k/', kind, '/')
export const creatorList = (creator: Uint8Array): Uint8Array => concatKey(FEED, 'c/', creator)
export const priceList = (paid: boolean): Uint8Array => concatKey(FEED, '$/', paid ? '1' : '0')
export const parentList = (parent: Uint8Array): Uint8Array => concatKey(FEED, 'r/', parent)
export const tagList = (tag: string): Uint8Array => concatKey(FEED, 't/', utf8(tag), NUL)
export const wordList = (word: string): Uint8Array => concatKey(FEED, 'w/', utf8(word), NUL)
/**
 * The order by `sort` of one posting list (`a/` for all cards): the same entries as the list,
 * keyed score ‖ seq ‖ id, so a filtered page under a score sort is a reverse range scan.
 */
export const scoreOrder = (sort: ScoreSort, list: Uint8Array): Uint8Array => concatKey(FEED, 'o/', sort, '/', list.subarray(FEED.length))
export const scoreList = (sort: ScoreSort): Uint8Array => scoreOrder(sort, allList())
export const docKey = (id: Uint8Array): Uint8Array => concatKey(FEED, 'd/', id)
export const countKey = (list: Uint8Array): Uint8Array => concatKey(FEED, 'n/', list.subarray(FEED.length))
export const metaKey = (name: string): Uint8Array => concatKey(FEED, 'm/', name)

/** Score keys sort descending by value when scanned in reverse; 8 bytes big-endian. */
export function uintScore (n: number): Uint8Array {
  const out = new Uint8Array(SCORE_BYTES)
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, Math.floor(n))))
  return out
}

/** A float64 whose bytes sort as the numbers do (sign bit flipped; all bits for negatives). */
export function floatScore (x: number): Uint8Array {
  const out = new Uint8Array(SCORE_BYTES)
  const dv = new DataView(out.buffer)
  dv.setFloat64(0, Number.isFinite(x) ? x : (x > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE))
  if ((out[0] & 0x80) !== 0) for (let i = 0; i < 8; i++) out[i] = ~out[i] & 0xff
  else out[0] |= 0x80
  return out
}

export function countBytes (n: number): Uint8Array {
  return heightKey(n)
}

export function readCount (bytes: Uint8Array | undefined): number {
  if (bytes === undefined || bytes.length !== 8) return 0
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0))
}

const WORD = /[\p{L}\p{N}]+/gu
export const MAX_WORD_CHARS = 32
/** Distinct words indexed per card: bounds the write cost of one card. */
export const MAX_WORDS_PER_CARD = 256

/**
 * Words of a text for the inverted index and for queries: NFKC, lowercased, runs of letters and
 * digits, 2..32 characters (longer runs cut, so a query cuts the same way), distinct, in order.
 */
export function tokenize (text: string, max = MAX_WORDS_PER_CARD): string[] {
  const out = new Set<string>()
  for (const m of text.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    const chars = [...m[0]]
    if (chars.length < 2) continue
    out.add(chars.slice(0, MAX_WORD_CHARS).join(''))
    if (out.size >= max) break
  }
  return [...out]
}

export function normalizeTag (tag: string): string {
  return tag.normalize('NFKC').toLowerCase()
}
