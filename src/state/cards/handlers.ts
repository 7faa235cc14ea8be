/**
 * State rules of card and social transactions (MISSION.md §4). Each rule is a comment naming it,
 * then the check and the StateError a person can act on. Schema limits (title, body, tags, preview,
 * avatar sizes) are already enforced when the transaction decodes (src/blocks/txTypes/cards.ts).
 */
import { REACTIONS, type CardPublishBodyValue, type Reaction, ProfileSetBody } from '../../blocks/index.js'
import { toHex } from '../../codec/index.js'
import { encodeAddress } from '../../crypto/index.js'
import type { Tx } from '../../blocks/types.js'
import { registerTxHandler, type TxContext } from '../registry.js'
import { StateError } from '../errors.js'
import {
  CardRecord, cardKey, cardCountersKey, reactionKey, viewKey, repostKey, flagKey, followKey, muteKey,
  socialCountersKey, profileKey, MARK, zeroCounters, getCounters, putCounters, addHeat, HEAT_WEIGHTS,
  requireCard, bumpSocial, getSocialCounters
} from './records.js'

/** Most accounts one account may follow or mute: keeps `followedBy` and mute sets bounded. */
export const MAX_FOLLOWING = 5_000
export const MAX_MUTED = 5_000
export const MIN_SLICE_SIZE = 1024
export const MAX_SLICE_SIZE = 16 * 1024 * 1024

const CONTROL = /[\u0000-\u001f\u007f]/
const TAG_FORBIDDEN = /[\s\u0000-\u001f\u007f,#]/u

const cardOf = (tx: Tx): Uint8Array => tx.body.card as Uint8Array
const accountOf = (tx: Tx): Uint8Array => tx.body.account as Uint8Array

export function checkPublishRules (c: CardPublishBodyValue): void {
  // Rule: a plain post has no content layout; content has a consistent one.
  if (c.contentRoot == null) {
    if (c.size !== 0 || c.sliceCount !== 0 || c.sliceSize !== 0) {
      throw new StateError('INVALID_TX', 'a card without contentRoot must have size, sliceSize and sliceCount 0')
    }
  } else {
    if (c.size === 0) throw new StateError('INVALID_TX', 'a card with content must have a size above 0')
    if (c.sliceSize < MIN_SLICE_SIZE || c.sliceSize > MAX_SLICE_SIZE) {
      throw new StateError('INVALID_TX', `sliceSize ${c.sliceSize} must be between ${MIN_SLICE_SIZE} and ${MAX_SLICE_SIZE} bytes`)
    }
    const expected = Math.ceil(c.size / c.sliceSize)
    if (c.sliceCount !== expected) throw new StateError('INVALID_TX', `sliceCount ${c.sliceCount} does not match size ${c.size} / sliceSize ${c.sliceSize} (expected ${expected})`)
  }
  // Rule: a card says something: a title, a body, or content.
  if (c.title.trim() === '' && c.body.trim() === '' && c.contentRoot == null) {
    throw new StateError('INVALID_TX', 'a card needs a title, a body or content')
  }
  if (CONTROL.test(c.title)) throw new StateError('INVALID_TX', 'title must not contain control characters')
  if (CONTROL.test(c.mime)) throw new StateError('INVALID_TX', 'mime must not contain control characters')
  // Rule: tags are words (no spaces, commas, # or control characters), unique ignoring case.
  const seen = new Set<string>()
  for (const tag of c.tags) {
    if (tag === '' || TAG_FORBIDDEN.test(tag)) throw new StateError('INVALID_TX', `tag ${JSON.stringify(tag)} must be a non-empty word without spaces, commas, # or control characters`)
    const norm = tag.toLowerCase()
    if (seen.has(norm)) throw new StateError('INVALID_TX', `tag ${JSON.stringify(tag)} is given twice`)
    seen.add(norm)
  }
  // Rule: a key in clear is only for free content — otherwise anyone could read what is sold.
  if (c.contentKey != null && (c.price !== 0n || c.escrow != null)) {
    throw new StateError('INVALID_TX', 'contentKey in clear is only allowed for free content (price 0, no escrow)')
  }
  // Rule: an escrow threshold can be met by its shares, one per validator.
  if (c.escrow != null) {
    const { threshold, shares } = c.escrow
    if (threshold < 1 || threshold > shares.length) throw new StateError('INVALID_TX', `escrow threshold ${threshold} must be between 1 and the ${shares.length} shares`)
    const validators = new Set(shares.map(s => toHex(s.validator)))
    if (validators.size !== shares.length) throw new StateError('INVALID_TX', 'escrow gives two shares to one validator')
  }
}

async function publish (ctx: TxContext): Promise<void> {
  const body = ctx.tx.body as CardPublishBodyValue
  checkPublishRules(body)
  const { state, id } = ctx
  if (await state.has(cardKey(id))) throw new StateError('ALREADY_EXISTS', `card ${toHex(id)} already exists`)
  // Rule: a reply's parent exists; it counts the reply as engagement.
  if (body.parent != null) {
    await requireCard(state, body.parent)
    const pc = await getCounters(state, body.parent)
    pc.replies++
    addHeat(pc, HEAT_WEIGHTS.reply, ctx.height)
    putCounters(state, body.parent, pc)
  }
  state.put(cardKey(id), CardRecord.toBytes({ creator: ctx.sender, height: ctx.height, index: ctx.index, time: ctx.time, card: body }))
  putCounters(state, id, zeroCounters(ctx.height))
  await bumpSocial(state, ctx.sender, 'cards', 1)
}

async function react (ctx: TxContext): Promise<void> {
  const { state, sender, tx } = ctx
  const card = cardOf(tx)
  await requireCard(state, card)
  const reaction = tx.body.reaction as Reaction | null
  const key = reactionKey(card, sender)
  const prevBytes = await state.get(key)
  const prev = prevBytes === undefined ? null : REACTIONS[prevBytes[0]]
  if (prevBytes !== undefined && prev === undefined) throw new StateError('CORRUPT_STATE', `reaction record of card ${toHex(card)} is unreadable`)
  // Rule: removing needs a reaction to remove; reacting the same way twice changes nothing.
  if (reaction === null && prev === null) throw new StateError('NOT_FOUND', `you have no reaction on card ${toHex(card)} to remove`)
  if (reaction !== null && reaction === prev) throw new StateError('ALREADY_EXISTS', `you already reacted "${reaction}" to card ${toHex(card)}`)
  const c = await getCounters(state, card)
  if (prev !== null) c[prev]--
  if (reaction === null) {
    state.del(key)
  } else {
    c[reaction]++
    state.put(key, Uint8Array.of(REACTIONS.indexOf(reaction)))
    // Rule: only a first reaction adds heat, so switching reactions cannot pump trending.
    if (prev === null) addHeat(c, HEAT_WEIGHTS.reaction, ctx.height)
  }
  putCounters(state, card, c)
}

function oncePerAccount (name: string, keyOf: (card: Uint8Array, account: Uint8Array) => Uint8Array, counter: 'reposts' | 'views' | 'flags', weight: bigint | null, value?: (tx: Tx) => Uint8Array) {
  return async (ctx: TxContext): Promise<void> => {
    const { state, sender, tx } = ctx
    const card = cardOf(tx)
    await requireCard(state, card)
    const key = keyOf(card, sender)
    // Rule: counted once per account per card.
    if (await state.has(key)) throw new StateError('ALREADY_EXISTS', `you have already ${name} card ${toHex(card)}; it counts once per account`)
    state.put(key, value?.(tx) ?? MARK)
    const c = await getCounters(state, card)
    c[counter]++
    if (weight !== null) addHeat(c, weight, ctx.height)
    putCounters(state, card, c)
  }
}

async function follow (ctx: TxContext): Promise<void> {
  const { state, sender } = ctx
  const target = accountOf(ctx.tx)
  if (Buffer.compare(target, sender) === 0) throw new StateError('NOT_ALLOWED', 'an account cannot follow itself')
  if (await state.has(followKey(sender, target))) throw new StateError('ALREADY_EXISTS', `you already follow ${encodeAddress(target)}`)
  const mine = await getSocialCounters(state, sender)
  if (mine.following >= MAX_FOLLOWING) throw new StateError('LIMIT_EXCEEDED', `an account follows at most ${MAX_FOLLOWING} accounts; unfollow one first`)
  state.put(followKey(sender, target), MARK)
  await bumpSocial(state, sender, 'following', 1)
  await bumpSocial(state, target, 'followers', 1)
}

async function unfollow (ctx: TxContext): Promise<void> {
  const { state, sender } = ctx
  const target = accountOf(ctx.tx)
  // Rule: only a followed account can be unfollowed.
  if (!await state.has(followKey(sender, target))) throw new StateError('NOT_FOUND', `you do not follow ${encodeAddress(target)}`)
  state.del(followKey(sender, target))
  await bumpSocial(state, sender, 'following', -1)
  await bumpSocial(state, target, 'followers', -1)
}

async function mute (ctx: TxContext): Promise<void> {
  const { state, sender } = ctx
  const target = accountOf(ctx.tx)
  if (Buffer.compare(target, sender) === 0) throw new StateError('NOT_ALLOWED', 'an account cannot mute itself')
  if (await state.has(muteKey(sender, target))) throw new StateError('ALREADY_EXISTS', `you already mute ${encodeAddress(target)}`)
  const mine = await getSocialCounters(state, sender)
  if (mine.muted >= MAX_MUTED) throw new StateError('LIMIT_EXCEEDED', `an account mutes at most ${MAX_MUTED} accounts; unmute one first`)
  state.put(muteKey(sender, target), MARK)
  await bumpSocial(state, sender, 'muted', 1)
}

async function unmute (ctx: TxContext): Promise<void> {
  const { state, sender } = ctx
  const target = accountOf(ctx.tx)
  if (!await state.has(muteKey(sender, target))) throw new StateError('NOT_FOUND', `you do not mute ${encodeAddress(target)}`)
  state.del(muteKey(sender, target))
  await bumpSocial(state, sender, 'muted', -1)
}

async function profileSet (ctx: TxContext): Promise<void> {
  const p = ctx.tx.body as { name: string, bio: string, avatar: Uint8Array }
  if (CONTROL.test(p.name)) throw new StateError('INVALID_TX', 'profile name must not contain control characters')
  if (p.name === '' && p.bio === '' && p.avatar.length === 0) ctx.state.del(profileKey(ctx.sender))
  else ctx.state.put(profileKey(ctx.sender), ProfileSetBody.toBytes(p))
}

const cardReads = (extra: (card: Uint8Array, sender: Uint8Array) => Uint8Array) => (tx: Tx, sender: Uint8Array): Uint8Array[] =>
  [cardKey(cardOf(tx)), cardCountersKey(cardOf(tx)), extra(cardOf(tx), sender)]
const socialReads = (edge: (a: Uint8Array, b: Uint8Array) => Uint8Array) => (tx: Tx, sender: Uint8Array): Uint8Array[] =>
  [edge(sender, accountOf(tx)), socialCountersKey(sender), socialCountersKey(accountOf(tx))]

registerTxHandler({
  type: 'card.publish',
  readSet: (tx, sender) => {
    const parent = tx.body.parent as Uint8Array | null
    return [socialCountersKey(sender), ...(parent != null ? [cardKey(parent), cardCountersKey(parent)] : [])]
  },
  apply: publish
})
registerTxHandler({ type: 'card.react', readSet: cardReads(reactionKey), apply: react })
registerTxHandler({ type: 'card.repost', readSet: cardReads(repostKey), apply: oncePerAccount('reposted', repostKey, 'reposts', HEAT_WEIGHTS.repost) })
registerTxHandler({ type: 'card.view', readSet: cardReads(viewKey), apply: oncePerAccount('viewed', viewKey, 'views', HEAT_WEIGHTS.view) })
registerTxHandler({
  type: 'card.flag',
  readSet: cardReads(flagKey),
  apply: oncePerAccount('flagged', flagKey, 'flags', null, (tx) => new TextEncoder().encode(tx.body.reason as string))
})
registerTxHandler({ type: 'social.follow', readSet: socialReads(followKey), apply: follow })
registerTxHandler({ type: 'social.unfollow', readSet: socialReads(followKey), apply: unfollow })
registerTxHandler({ type: 'social.mute', readSet: socialReads(muteKey), apply: mute })
registerTxHandler({ type: 'social.unmute', readSet: socialReads(muteKey), apply: unmute })
registerTxHandler({ type: 'profile.set', readSet: (_tx, sender) => [profileKey(sender)], apply: profileSet })
