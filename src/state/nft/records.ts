/**
 * State records of key NFTs and re-escrowed keys (MISSION.md §4 "Key NFTs", §8). All under `s/`,
 * so ownership is covered by the state root and provable to a light client.
 *
 *   s/key/<token>             owner and mint height of a token (token = card(32) || serial(8))
 *   s/key.o/<owner><token>    the owner's index: key_tokensOf is one prefix scan
 *   s/key.l/<token>           an open listing: seller and price; a card's listings share a prefix
 *   s/key.n/<card>            keys minted so far (bought and granted): the next serial and supply
 *   s/esc/<card>              the latest re-escrow of the card's key (card.reescrow), which takes
 *                             the place of the escrow in the card's publish body
 *
 * The minted count is ours and not the card's `keysSold` counter because grants count against
 * `supply` but are not sales.
 */
import { bytes, struct, u53, uint, toHex, type Infer } from '../../codec/index.js'
import { EscrowSpec, splitTokenId, type EscrowSpecValue } from '../../blocks/index.js'
import type { StateOverlay } from '../overlay.js'
import { stateKey, prefixEnd } from '../keys.js'
import { StateError } from '../errors.js'
import { getCard } from '../cards/records.js'

export const TokenRecord = struct({ owner: bytes({ len: 20 }), minted: u53() })
export type TokenRecordValue = Infer<typeof TokenRecord>

export const ListingRecord = struct({ seller: bytes({ len: 20 }), price: uint() })
export type ListingRecordValue = Infer<typeof ListingRecord>

export const MintCounter = struct({ minted: u53() })

export const EscrowRecord = struct({ height: u53(), escrow: EscrowSpec })

export const nftKeys = {
  token: (token: Uint8Array): Uint8Array => stateKey('key', token),
  owned: (owner: Uint8Array, token: Uint8Array): Uint8Array => stateKey('key.o', owner, token),
  ownedPrefix: (owner: Uint8Array): Uint8Array => stateKey('key.o', owner),
  listing: (token: Uint8Array): Uint8Array => stateKey('key.l', token),
  listingPrefix: (card: Uint8Array): Uint8Array => stateKey('key.l', card),
  minted: (card: Uint8Array): Uint8Array => stateKey('key.n', card),
  escrow: (card: Uint8Array): Uint8Array => stateKey('esc', card)
}

export { prefixEnd }

/** Anything with committed-state reads: a StateOverlay or the chain's StateStore. */
export interface StateReader {
  get: (key: Uint8Array) => Promise<Uint8Array | undefined>
}

export async function getToken (state: StateReader, token: Uint8Array): Promise<TokenRecordValue | undefined> {
  const b = await state.get(nftKeys.token(token))
  return b === undefined ? undefined : TokenRecord.fromBytes(b)
}

export async function requireOwnedToken (state: StateOverlay, token: Uint8Array, owner: Uint8Array): Promise<TokenRecordValue> {
  const t = await getToken(state, token)
  if (t === undefined) throw new StateError('NOT_FOUND', `key token ${toHex(token)} does not exist`)
  if (!sameBytes(t.owner, owner)) throw new StateError('NOT_ALLOWED', `you do not hold key token ${toHex(token)}`)
  return t
}

export async function getListing (state: StateReader, token: Uint8Array): Promise<ListingRecordValue | undefined> {
  const b = await state.get(nftKeys.listing(token))
  return b === undefined ? undefined : ListingRecord.fromBytes(b)
}

export async function mintedCount (state: StateReader, card: Uint8Array): Promise<number> {
  const b = await state.get(nftKeys.minted(card))
  return b === undefined ? 0 : MintCounter.fromBytes(b).minted
}

/** Writes the token's owner and keeps the owner index in step. */
export function putOwner (state: StateOverlay, token: Uint8Array, prev: Uint8Array | null, owner: Uint8Array, minted: number): void {
  if (prev !== null) state.del(nftKeys.owned(prev, token))
  state.put(nftKeys.owned(owner, token), Uint8Array.of(1))
  state.put(nftKeys.token(token), TokenRecord.toBytes({ owner, minted }))
}

/** Mints the next serial of `card` to `owner`; returns the token id. */
export async function mintNext (state: StateOverlay, card: Uint8Array, owner: Uint8Array, supply: number, height: number, tokenIdOf: (card: Uint8Array, serial: number) => Uint8Array): Promise<Uint8Array> {
  const minted = await mintedCount(state, card)
  // Rule: never more keys than the card's supply (0 = unlimited).
  if (supply > 0 && minted >= supply) throw new StateError('LIMIT_EXCEEDED', `all ${supply} keys of card ${toHex(card)} are minted; buy a listed one instead (key_listings)`)
  const token = tokenIdOf(card, minted + 1)
  state.put(nftKeys.minted(card), MintCounter.toBytes({ minted: minted + 1 }))
  putOwner(state, token, null, owner, height)
  return token
}

/**
 * A card's escrow as clients and validators use it: the re-escrow record if there is one,
 * else the escrow in the publish body; with the card's keyCommitment and its creator.
 */
export interface CardEscrow {
  card: Uint8Array
  creator: Uint8Array
  price: bigint
  /** Height the committee was chosen at (publish or re-escrow). */
  height: number
  keyCommitment: Uint8Array | null
  /** The key in clear (free cards). */
  contentKey: Uint8Array | null
  escrow: EscrowSpecValue | null
}

export async function cardEscrow (state: StateReader, card: Uint8Array): Promise<CardEscrow | undefined> {
  const rec = await getCard(state as StateOverlay, card)
  if (rec === undefined) return undefined
  const re = await state.get(nftKeys.escrow(card))
  const reRec = re === undefined ? undefined : EscrowRecord.fromBytes(re)
  return {
    card,
    creator: rec.creator,
    price: rec.card.price,
    height: reRec?.height ?? rec.height,
    keyCommitment: rec.card.keyCommitment ?? null,
    contentKey: rec.card.contentKey ?? null,
    escrow: reRec?.escrow ?? rec.card.escrow ?? null
  }
}

/** Does `owner` hold `token`, and is it a token of `card`? (The check escrow validators make.) */
export async function holdsTokenOf (state: StateReader, owner: Uint8Array, card: Uint8Array, token: Uint8Array): Promise<boolean> {
  if (token.length !== 40 || !sameBytes(splitTokenId(token).card, card)) return false
  const t = await getToken(state, token)
  return t !== undefined && sameBytes(t.owner, owner)
}

export function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
