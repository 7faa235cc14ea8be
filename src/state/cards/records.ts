/**
 * State records of cards and the social graph, and the counters every card and account carries
 * (MISSION.md §4). All live under `s/` and so are covered by the state root and provable.
 *
 *   s/card/<id>                 card: creator, height, index, time and the publish body (RLP)
 *   s/card.n/<id>               card counters (RLP), rewritten on every engagement
 *   s/card.r/<id><account>      the account's reaction (one byte: index into REACTIONS)
 *   s/card.v/<id><account>      viewed marker        s/card.p/<id><account>  reposted marker
 *   s/card.f/<id><account>      flag reason (UTF-8)
 *   s/soc.f/<follower><followee>, s/soc.m/<muter><muted>   follow and mute edges
 *   s/soc.n/<account>           account counters: followers, following, cards, muted
 *   s/prof/<account>            profile (RLP)
 *
 * Counters are separate from the card so that a reaction rewrites ~30 bytes, not a 64 KiB preview.
 * Edges are keyed by the card or follower first so that "who did X follow" and "who flagged card Y"
 * are prefix scans of committed state.
 */
import { bytes, struct, u53, uint, toHex, type Infer } from '../../codec/index.js'
import { CardPublishBody, ProfileSetBody, type ProfileValue } from '../../blocks/index.js'
import type { StateOverlay } from '../overlay.js'
import { stateKey } from '../keys.js'
import { StateError } from '../errors.js'

export const CardRecord = struct({
  creator: bytes({ len: 20 }),
  height: u53(),
  /** Position of the publish transaction in its block: (height, index) orders cards in time. */
  index: u53(),
  time: u53(),
  card: CardPublishBody
})
export type CardRecordValue = Infer<typeof CardRecord>

export const CardCounters = struct({
  like: u53(),
  love: u53(),
  laugh: u53(),
  wow: u53(),
  sad: u53(),
  angry: u53(),
  replies: u53(),
  reposts: u53(),
  views: u53(),
  keysSold: u53(),
  seeders: u53(),
  flags: u53(),
  /** Time-decayed engagement as of `heatHeight` (see `addHeat` and docs/feed.md). */
  heat: uint(),
  heatHeight: u53()
})
export type CardCountersValue = Infer<typeof CardCounters>

export const AccountSocialCounters = struct({
  followers: u53(),
  following: u53(),
  cards: u53(),
  muted: u53()
})
export type AccountSocialCountersValue = Infer<typeof AccountSocialCounters>

export function zeroCounters (height: number): CardCountersValue {
  return { like: 0, love: 0, laugh: 0, wow: 0, sad: 0, angry: 0, replies: 0, reposts: 0, views: 0, keysSold: 0, seeders: 0, flags: 0, heat: 0n, heatHeight: height }
}

export const cardKey = (id: Uint8Array): Uint8Array => stateKey('card', id)
export const cardCountersKey = (id: Uint8Array): Uint8Array => stateKey('card.n', id)
export const reactionKey = (id: Uint8Array, account: Uint8Array): Uint8Array => stateKey('card.r', id, account)
export const viewKey = (id: Uint8Array, account: Uint8Array): Uint8Array => stateKey('card.v', id, account)
export const repostKey = (id: Uint8Array, account: Uint8Array): Uint8Array => stateKey('card.p', id, account)
export const flagKey = (id: Uint8Array, account: Uint8Array): Uint8Array => stateKey('card.f', id, account)
export const followKey = (follower: Uint8Array, followee: Uint8Array): Uint8Array => stateKey('soc.f', follower, followee)
export const muteKey = (muter: Uint8Array, muted: Uint8Array): Uint8Array => stateKey('soc.m', muter, muted)
export const socialCountersKey = (account: Uint8Array): Uint8Array => stateKey('soc.n', account)
export const profileKey = (account: Uint8Array): Uint8Array => stateKey('prof', account)

/** The prefix of every card-counters key: the feed indexer watches changes under it. */
export const CARD_COUNTERS_PREFIX = stateKey('card.n')
export const CARD_PREFIX = stateKey('card')

export const MARK = Uint8Array.of(1)

export function decodeCard (bytes: Uint8Array | undefined): CardRecordValue | undefined {
  return bytes === undefined ? undefined : CardRecord.fromBytes(bytes)
}

export function decodeCounters (bytes: Uint8Array | undefined): CardCountersValue | undefined {
  return bytes === undefined ? undefined : CardCounters.fromBytes(bytes)
}

export async function getCard (state: StateOverlay, id: Uint8Array): Promise<CardRecordValue | undefined> {
  return decodeCard(await state.get(cardKey(id)))
}

export async function requireCard (state: StateOverlay, id: Uint8Array): Promise<CardRecordValue> {
  const card = await getCard(state, id)
  if (card === undefined) throw new StateError('NOT_FOUND', `card ${toHex(id)} does not exist`)
  return card
}

export async function getCounters (state: StateOverlay, id: Uint8Array): Promise<CardCountersValue> {
  const c = decodeCounters(await state.get(cardCountersKey(id)))
  if (c === undefined) throw new StateError('NOT_FOUND', `card ${toHex(id)} does not exist`)
  return c
}

export function putCounters (state: StateOverlay, id: Uint8Array, c: CardCountersValue): void {
  state.put(cardCountersKey(id), CardCounters.toBytes(c))
}

/** Blocks over which engagement loses half its weight (about 2 hours at one block per second). */
export const HEAT_HALF_LIFE = 7_200
/** Heat units per engagement weight point, so that integer decay keeps precision. */
export const HEAT_UNIT = 1_000n
/** Engagement weights of the trending score. */
export const HEAT_WEIGHTS = { view: 1n, reaction: 3n, repost: 4n, reply: 5n, keySold: 8n } as const

/**
 * `heat` decayed from `from` to `to` blocks: halved per whole half-life, and over the remainder
 * multiplied by the chord (2H - r) / 2H of 2^(-r/H) — integer arithmetic, so every node computes
 * the same state bytes.
 */
export function decayHeat (heat: bigint, from: number, to: number): bigint {
  const d = Math.max(0, to - from)
  const halvings = Math.floor(d / HEAT_HALF_LIFE)
  if (halvings >= 128) return 0n
  const r = BigInt(d % HEAT_HALF_LIFE)
  const h2 = 2n * BigInt(HEAT_HALF_LIFE)
  return ((heat >> BigInt(halvings)) * (h2 - r)) / h2
}

export function addHeat (c: CardCountersValue, weight: bigint, height: number): void {
  c.heat = decayHeat(c.heat, c.heatHeight, height) + weight * HEAT_UNIT
  c.heatHeight = height
}

export type CounterName = 'replies' | 'reposts' | 'views' | 'keysSold' | 'seeders' | 'flags'

/**
 * Changes one counter of a card. Other areas call this: key sales (`keysSold`) and the seeder map
 * (`seeders`), so that every card counter of §4 lives in one record the feed index watches.
 */
export async function adjustCardCounter (state: StateOverlay, id: Uint8Array, name: CounterName, delta: number, height: number): Promise<void> {
  const c = await getCounters(state, id)
  const next = c[name] + delta
  if (next < 0) throw new StateError('CORRUPT_STATE', `card ${toHex(id)} counter ${name} would go below zero`)
  c[name] = next
  if (delta > 0 && name === 'keysSold') addHeat(c, HEAT_WEIGHTS.keySold * BigInt(delta), height)
  putCounters(state, id, c)
}

export async function getSocialCounters (state: StateOverlay, account: Uint8Array): Promise<AccountSocialCountersValue> {
  const bytes = await state.get(socialCountersKey(account))
  return bytes === undefined ? { followers: 0, following: 0, cards: 0, muted: 0 } : AccountSocialCounters.fromBytes(bytes)
}

export function putSocialCounters (state: StateOverlay, account: Uint8Array, c: AccountSocialCountersValue): void {
  if (c.followers === 0 && c.following === 0 && c.cards === 0 && c.muted === 0) state.del(socialCountersKey(account))
  else state.put(socialCountersKey(account), AccountSocialCounters.toBytes(c))
}

export async function bumpSocial (state: StateOverlay, account: Uint8Array, name: keyof AccountSocialCountersValue, delta: number): Promise<void> {
  const c = await getSocialCounters(state, account)
  c[name] += delta
  if (c[name] < 0) throw new StateError('CORRUPT_STATE', `social counter ${name} would go below zero`)
  putSocialCounters(state, account, c)
}

export function decodeProfile (bytes: Uint8Array | undefined): ProfileValue | undefined {
  return bytes === undefined ? undefined : ProfileSetBody.fromBytes(bytes)
}
