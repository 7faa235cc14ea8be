/**
 * A card's index document: what feed filters test per candidate (kind, creator, price, tags,
 * parent, height, flags) and the scores it is filed under. It is a pure function of the card's
 * state records — the card and its counters — so the live index and a rebuild from blocks agree
 * byte for byte.
 */
import { packRecord, unpackRecord, concatBytes } from '../../codec/index.js'
import { StateError } from '../errors.js'
import { type CardRecordValue, type CardCountersValue, HEAT_HALF_LIFE, HEAT_UNIT } from '../cards/records.js'
import {
  seqOf, allList, kindList, creatorList, priceList, parentList, tagList, wordList, scoreOrder, uintScore, floatScore,
  tokenize, normalizeTag, type ScoreSort
} from './layout.js'

export interface FeedDoc {
  id: Uint8Array
  seq: Uint8Array
  height: number
  kind: string
  creator: Uint8Array
  price: bigint
  tags: string[]
  parent: Uint8Array | null
  flags: number
  /** Scores, one per score order. */
  top: number
  trending: number
  seeded: number
}

export function reactionTotal (c: CardCountersValue): number {
  return c.like + c.love + c.laugh + c.wow + c.sad + c.angry
}

const LOG2_PRIOR = Math.log2(Number(HEAT_UNIT))

/**
 * Trending: log2( heat·2^(heatHeight/H) + UNIT·2^(publishHeight/H) ). Multiplying every card's
 * decayed engagement by the same 2^(now/H) does not change their order, so this score ranks cards
 * exactly as "engagement decayed to now" does at any `now` — and never needs recomputing as time
 * passes. The second term gives every card one view's worth of engagement at publication, so that
 * new cards without engagement rank by recency.
 */
export function trendingScore (c: CardCountersValue, publishHeight: number): number {
  const b = LOG2_PRIOR + publishHeight / HEAT_HALF_LIFE
  if (c.heat === 0n) return b
  const a = Math.log2(Number(c.heat)) + c.heatHeight / HEAT_HALF_LIFE
  const hi = Math.max(a, b)
  return hi + Math.log2(1 + 2 ** -Math.abs(a - b))
}

export function buildDoc (id: Uint8Array, rec: CardRecordValue, c: CardCountersValue): FeedDoc {
  return {
    id,
    seq: seqOf(rec.height, rec.index),
    height: rec.height,
    kind: rec.card.kind,
    creator: rec.creator,
    price: rec.card.price,
    tags: rec.card.tags.map(normalizeTag),
    parent: rec.card.parent ?? null,
    flags: c.flags,
    top: reactionTotal(c),
    trending: trendingScore(c, rec.height),
    seeded: c.seeders
  }
}

/** Words of the inverted index: title, body and tags. */
export function docWords (rec: CardRecordValue): string[] {
  return tokenize(`${rec.card.title} ${rec.card.body} ${rec.card.tags.join(' ')}`)
}

/**
 * The posting lists a card is filed under that also have score orders: all of them but the words.
 * They follow from fields a card never changes, so a rescore moves a card within the same lists.
 */
export function scoredLists (doc: FeedDoc): Uint8Array[] {
  const lists = [allList(), kindList(doc.kind), creatorList(doc.creator), priceList(doc.price > 0n)]
  if (doc.parent !== null) lists.push(parentList(doc.parent))
  for (const t of doc.tags) lists.push(tagList(t))
  return lists
}

/** The posting lists (prefixes) a card is filed under, besides the score orders. */
export function postingLists (doc: FeedDoc, words: string[]): Uint8Array[] {
  return [...scoredLists(doc), ...words.map(wordList)]
}

export function scoreBytes (doc: FeedDoc, sort: ScoreSort): Uint8Array {
  switch (sort) {
    case 'top': return uintScore(doc.top)
    case 'trending': return floatScore(doc.trending)
    case 'seeded': return uintScore(doc.seeded)
  }
}

export function suffixOf (doc: FeedDoc): Uint8Array {
  return concatBytes(doc.seq, doc.id)
}

/** The card's keys in the `sort` order of each of its scored lists. */
export function scoreKeys (doc: FeedDoc, sort: ScoreSort, lists = scoredLists(doc)): Uint8Array[] {
  const position = concatBytes(scoreBytes(doc, sort), doc.seq, doc.id)
  return lists.map(list => concatBytes(scoreOrder(sort, list), position))
}

export function encodeDoc (d: FeedDoc): Uint8Array {
  return packRecord([d.id, d.seq, d.height, d.kind, d.creator, d.price, d.tags, d.parent, d.flags, d.top, d.trending, d.seeded])
}

export function decodeDoc (bytes: Uint8Array): FeedDoc {
  const r = unpackRecord(bytes)
  if (!Array.isArray(r) || r.length !== 12) throw new StateError('CORRUPT_STATE', 'feed index document is malformed; run folio reindex')
  const [id, seq, height, kind, creator, price, tags, parent, flags, top, trending, seeded] = r
  return {
    id, seq, height, kind, creator, price: typeof price === 'bigint' ? price : BigInt(price), tags, parent: parent ?? null, flags, top, trending, seeded
  } as FeedDoc
}
