/**
 * State rules of key NFTs and re-escrow (MISSION.md §4 "Key NFTs", §8). Each rule is a comment
 * naming it, then the check and a StateError a person can act on. Payments move whole ufol with
 * integer arithmetic: a resale's royalty is floor(price × royaltyBps / 10,000) and the seller gets
 * the rest, so the two parts always sum to the price and no dust is lost.
 */
import { tokenId, splitTokenId, type CardReescrowBodyValue } from '../../blocks/index.js'
import { toHex } from '../../codec/index.js'
import { encodeAddress, escrowThreshold, SEAL_OVERHEAD } from '../../crypto/index.js'
import { registerTxHandler, type TxContext } from '../registry.js'
import { StateError } from '../errors.js'
import { move } from '../accounts.js'
import { adjustCardCounter, requireCard, cardKey } from '../cards/records.js'
import { validatorSetAt } from '../staking/validatorSetRecord.js'
import {
  EscrowRecord, ListingRecord, nftKeys, getListing, getToken, mintNext, putOwner, requireOwnedToken, sameBytes
} from './records.js'

export const BPS_DENOMINATOR = 10_000n
/** Smallest sealed escrow share: the 32-byte share commitment, a sealed share of ≥ 2 bytes. */
export const MIN_SEALED_SHARE = 32 + SEAL_OVERHEAD + 2

/** The creator's royalty and the seller's part of a resale at `price`: they sum to `price`. */
export function splitResale (price: bigint, royaltyBps: number): { royalty: bigint, seller: bigint } {
  const royalty = (price * BigInt(royaltyBps)) / BPS_DENOMINATOR
  return { royalty, seller: price - royalty }
}

const body = <T>(ctx: TxContext): T => ctx.tx.body as T

async function buy (ctx: TxContext): Promise<void> {
  const { card, maxPrice } = body<{ card: Uint8Array, maxPrice: bigint }>(ctx)
  const rec = await requireCard(ctx.state, card)
  const price = rec.card.price
  // Rule: the buyer never pays more than it signed for.
  if (price > maxPrice) throw new StateError('NOT_ALLOWED', `card ${toHex(card)} costs ${price} ufol, above your maxPrice ${maxPrice}`)
  await mintNext(ctx.state, card, ctx.sender, rec.card.supply, ctx.height, tokenId)
  // Rule: the price goes to the creator; a sale counts on the card's keysSold counter.
  await move(ctx.state, ctx.sender, rec.creator, price)
  await adjustCardCounter(ctx.state, card, 'keysSold', 1, ctx.height)
}

async function grant (ctx: TxContext): Promise<void> {
  const { card, to } = body<{ card: Uint8Array, to: Uint8Array }>(ctx)
  const rec = await requireCard(ctx.state, card)
  // Rule: only the creator grants keys of its card.
  if (!sameBytes(rec.creator, ctx.sender)) throw new StateError('NOT_ALLOWED', `only the creator ${encodeAddress(rec.creator)} may grant keys of card ${toHex(card)}`)
  await mintNext(ctx.state, card, to, rec.card.supply, ctx.height, tokenId)
}

async function transfer (ctx: TxContext): Promise<void> {
  const { token, to } = body<{ token: Uint8Array, to: Uint8Array }>(ctx)
  const t = await requireOwnedToken(ctx.state, token, ctx.sender)
  if (sameBytes(to, ctx.sender)) throw new StateError('SELF_TRANSFER', `you already hold key token ${toHex(token)}`)
  // Rule: a transfer ends the token's listing, so a new holder is never sold out from under.
  ctx.state.del(nftKeys.listing(token))
  putOwner(ctx.state, token, ctx.sender, to, t.minted)
}

async function list (ctx: TxContext): Promise<void> {
  const { token, price } = body<{ token: Uint8Array, price: bigint }>(ctx)
  await requireOwnedToken(ctx.state, token, ctx.sender)
  // Rule: a listing asks for something; to give a token away use key.transfer.
  if (price <= 0n) throw new StateError('INVALID_AMOUNT', 'a listing price must be above 0 ufol (use key.transfer to give a key away)')
  ctx.state.put(nftKeys.listing(token), ListingRecord.toBytes({ seller: ctx.sender, price }))
}

async function unlist (ctx: TxContext): Promise<void> {
  const { token } = body<{ token: Uint8Array }>(ctx)
  await requireOwnedToken(ctx.state, token, ctx.sender)
  if (await getListing(ctx.state, token) === undefined) throw new StateError('NOT_FOUND', `key token ${toHex(token)} is not listed`)
  ctx.state.del(nftKeys.listing(token))
}

async function buyListed (ctx: TxContext): Promise<void> {
  const { token, maxPrice } = body<{ token: Uint8Array, maxPrice: bigint }>(ctx)
  const listing = await getListing(ctx.state, token)
  if (listing === undefined) throw new StateError('NOT_FOUND', `key token ${toHex(token)} is not for sale`)
  const t = await getToken(ctx.state, token)
  if (t === undefined || !sameBytes(t.owner, listing.seller)) throw new StateError('CORRUPT_STATE', `listing of key token ${toHex(token)} is not by its holder`)
  if (sameBytes(listing.seller, ctx.sender)) throw new StateError('NOT_ALLOWED', `you are the seller of key token ${toHex(token)}; use key.unlist`)
  if (listing.price > maxPrice) throw new StateError('NOT_ALLOWED', `key token ${toHex(token)} costs ${listing.price} ufol, above your maxPrice ${maxPrice}`)
  const rec = await requireCard(ctx.state, splitTokenId(token).card)
  // Rule: seller and creator are paid atomically in this one transaction; parts sum to the price.
  const { royalty, seller } = splitResale(listing.price, rec.card.royaltyBps)
  await move(ctx.state, ctx.sender, listing.seller, seller)
  await move(ctx.state, ctx.sender, rec.creator, royalty)
  ctx.state.del(nftKeys.listing(token))
  putOwner(ctx.state, token, listing.seller, ctx.sender, t.minted)
}

async function reescrow (ctx: TxContext): Promise<void> {
  const { card, escrow } = body<CardReescrowBodyValue>(ctx)
  const rec = await requireCard(ctx.state, card)
  if (!sameBytes(rec.creator, ctx.sender)) throw new StateError('NOT_ALLOWED', `only the creator ${encodeAddress(rec.creator)} may re-escrow card ${toHex(card)}`)
  // Rule: only a key with a public commitment can be escrowed (clients check what they rebuild).
  if (rec.card.keyCommitment == null || rec.card.contentKey != null) {
    throw new StateError('NOT_ALLOWED', `card ${toHex(card)} has no keyCommitment or carries its key in clear: nothing to escrow`)
  }
  // Rule: the committee is the validator set at this height (members with an escrow key),
  // one share each, and the threshold is floor((n-1)/3) + 1.
  const set = (await validatorSetAt(ctx.state, ctx.height)).filter(m => m.escrowKey != null)
  const want = new Set(set.map(m => toHex(m.address)))
  const got = new Set(escrow.shares.map(s => toHex(s.validator)))
  if (got.size !== escrow.shares.length) throw new StateError('INVALID_TX', 'the escrow gives two shares to one validator')
  if (got.size !== want.size || [...got].some(a => !want.has(a))) {
    throw new StateError('INVALID_TX', `the escrow committee must be the ${want.size} validators with escrow keys at height ${ctx.height}; rebuild it from chain_getValidators`)
  }
  const t = escrowThreshold(set.length)
  if (escrow.threshold !== t) throw new StateError('INVALID_TX', `escrow threshold must be ${t} for ${set.length} validators, got ${escrow.threshold}`)
  for (const s of escrow.shares) {
    if (s.sealed.length < MIN_SEALED_SHARE) throw new StateError('INVALID_TX', `sealed share for ${encodeAddress(s.validator)} is ${s.sealed.length} bytes, below ${MIN_SEALED_SHARE}`)
  }
  ctx.state.put(nftKeys.escrow(card), EscrowRecord.toBytes({ height: ctx.height, escrow }))
}

const cardRead = (tx: { body: Record<string, unknown> }): Uint8Array[] => [cardKey(tx.body.card as Uint8Array), nftKeys.minted(tx.body.card as Uint8Array)]
const tokenRead = (tx: { body: Record<string, unknown> }): Uint8Array[] => [nftKeys.token(tx.body.token as Uint8Array), nftKeys.listing(tx.body.token as Uint8Array)]

registerTxHandler({ type: 'key.buy', readSet: cardRead, spend: (tx) => tx.body.maxPrice as bigint, apply: buy })
registerTxHandler({ type: 'key.grant', readSet: cardRead, apply: grant })
registerTxHandler({ type: 'key.transfer', readSet: tokenRead, apply: transfer })
registerTxHandler({ type: 'key.list', readSet: tokenRead, apply: list })
registerTxHandler({ type: 'key.unlist', readSet: tokenRead, apply: unlist })
registerTxHandler({ type: 'key.buy-listed', readSet: tokenRead, spend: (tx) => tx.body.maxPrice as bigint, apply: buyListed })
registerTxHandler({ type: 'card.reescrow', readSet: (tx) => [cardKey(tx.body.card as Uint8Array)], apply: reescrow })
