/**
 * Transaction types of key NFTs and key escrow (MISSION.md §4 "Key NFTs", §8):
 *
 *   key.buy {card, maxPrice}            mint the card's next serial to the sender, paying the creator
 *   key.grant {card, to}                the creator mints one for free (giveaways, reviewers)
 *   key.transfer {token, to}            give a token away (cancels its listing)
 *   key.list {token, price}             offer a token for sale; key.unlist {token} withdraws it
 *   key.buy-listed {token, maxPrice}    buy a listed token: the seller is paid less the royalty
 *   card.reescrow {card, escrow}        the creator re-splits the content key among the current set
 *
 * MISSION.md spells the last `key.buyListed`; type names are lowercase words (src/blocks/txTypes.ts),
 * so it is registered as `key.buy-listed`.
 *
 * A token id is 40 bytes: the card id (32) then the serial (8, big-endian, from 1), so that a
 * card's tokens sort together and a token names its card without a lookup. `maxPrice` bounds what
 * the buyer pays, so a price change between signing and inclusion cannot take more than agreed.
 */
import { bytes, struct, uint, type Infer } from '../../codec/schema.js'
import { registerTxType } from '../txTypes.js'
import { EscrowSpec } from './cards.js'

export const TOKEN_BYTES = 40
const AMOUNT = uint({ max: (1n << 128n) - 1n })

export const KeyBuyBody = struct({ card: bytes({ len: 32 }), maxPrice: AMOUNT })
export const KeyGrantBody = struct({ card: bytes({ len: 32 }), to: bytes({ len: 20 }) })
export const KeyTransferBody = struct({ token: bytes({ len: TOKEN_BYTES }), to: bytes({ len: 20 }) })
export const KeyListBody = struct({ token: bytes({ len: TOKEN_BYTES }), price: AMOUNT })
export const KeyUnlistBody = struct({ token: bytes({ len: TOKEN_BYTES }) })
export const KeyBuyListedBody = struct({ token: bytes({ len: TOKEN_BYTES }), maxPrice: AMOUNT })
export const CardReescrowBody = struct({ card: bytes({ len: 32 }), escrow: EscrowSpec })
export type CardReescrowBodyValue = Infer<typeof CardReescrowBody>

registerTxType('key.buy', KeyBuyBody)
registerTxType('key.grant', KeyGrantBody)
registerTxType('key.transfer', KeyTransferBody)
registerTxType('key.list', KeyListBody)
registerTxType('key.unlist', KeyUnlistBody)
registerTxType('key.buy-listed', KeyBuyListedBody)
registerTxType('card.reescrow', CardReescrowBody)

/** The token id of `serial` of `card`. */
export function tokenId (card: Uint8Array, serial: number): Uint8Array {
  const out = new Uint8Array(TOKEN_BYTES)
  out.set(card, 0)
  new DataView(out.buffer).setBigUint64(32, BigInt(serial))
  return out
}

/** A token id's card and serial. Callers pass a 40-byte id (schemas check the length). */
export function splitTokenId (token: Uint8Array): { card: Uint8Array, serial: number } {
  const serial = new DataView(token.buffer, token.byteOffset + 32, 8).getBigUint64(0)
  return { card: token.slice(0, 32), serial: Number(serial) }
}
