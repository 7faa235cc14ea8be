/**
 * Key NFT and escrow JSON-RPC methods (MISSION.md §9):
 *
 *   key_ownerOf {token}                   owner, card, serial, mint height, open listing
 *   key_tokensOf {address, limit?}        the tokens an account holds
 *   key_listings {card, limit?}           open listings of a card's tokens
 *   escrow_get {card}                     the card's escrow: committee, threshold, entries, keyCommitment
 *   escrow_requestShare {request}         this validator's share sealed to the holder, or a refusal
 *   escrow_gatherShares {request}         this node asks the committee over libp2p (and itself) and
 *                                         returns every answer: a client then needs one RPC URL
 *   key_putContentKey {card, key}         loopback only: store a rebuilt key in this node's key store
 *                                         (checked against keyCommitment) so playback and fetch work
 *
 * Refusals are answers, not JSON-RPC errors: a client asking many validators wants each reason.
 */
import { toHex } from '../../codec/index.js'
import { constantTimeEqual, encodeAddress } from '../../crypto/index.js'
import { splitTokenId } from '../../blocks/index.js'
import { cardEscrow, getListing, getToken, nftKeys, prefixEnd, ListingRecord, type Chain } from '../../state/index.js'
import { EscrowError, answerToJson, keyCommitmentOf, requestFromJson, type ShareAnswer, type ShareRequest, type EscrowServer } from '../../torrent/escrow/index.js'
import type { CallContext, MethodTable } from '../jsonrpc.js'
import { RpcError, invalidParams, notFound } from '../errors.js'
import { addressParam, has, hexParam, intParam, objectParams } from '../params.js'

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])
const MAX_PAGE = 500

export interface KeyMethodsDeps {
  chain: Chain
  /** This node's escrow server, when it validates. */
  server: EscrowServer | null
  /** Asks the other escrow validators (libp2p); absent without a network. */
  gather?: (req: ShareRequest, signal: AbortSignal) => Promise<ShareAnswer[]>
  /** The node's content key store, looked up when needed (the swarm module owns it). */
  contentKeys?: () => { put: (card: Uint8Array, key: Uint8Array) => Promise<void> } | undefined
}

function parseRequest (raw: unknown): ShareRequest {
  const p = objectParams(raw, ['request'])
  try {
    return requestFromJson(p.request)
  } catch (err) {
    if (err instanceof EscrowError) throw invalidParams(err.message)
    throw err
  }
}

export function keyMethods (deps: KeyMethodsDeps): MethodTable {
  const { chain } = deps
  const state = chain.state
  return {
    key_ownerOf: async (raw) => {
      const token = hexParam(objectParams(raw, ['token']), 'token', 40)
      const t = await getToken(state, token)
      if (t === undefined) throw notFound(`key token ${toHex(token)} does not exist`)
      const listing = await getListing(state, token)
      const { card, serial } = splitTokenId(token)
      return { token: toHex(token), card: toHex(card), serial, owner: encodeAddress(t.owner), minted: t.minted, listing: listing === undefined ? null : { price: listing.price.toString() }, height: chain.head().height }
    },

    key_tokensOf: async (raw) => {
      const p = objectParams(raw, ['address', 'limit'])
      const address = addressParam(p, 'address')
      const limit = has(p, 'limit') ? intParam(p, 'limit', { min: 1, max: MAX_PAGE }) : 100
      const prefix = nftKeys.ownedPrefix(address)
      const tokens = []
      for await (const [k] of state.scan(prefix, prefixEnd(prefix), limit)) {
        const token = k.subarray(prefix.length)
        const { card, serial } = splitTokenId(token)
        const t = await getToken(state, token)
        tokens.push({ token: toHex(token), card: toHex(card), serial, minted: t?.minted ?? null })
      }
      return { address: encodeAddress(address), tokens, height: chain.head().height }
    },

    key_listings: async (raw) => {
      const p = objectParams(raw, ['card', 'limit'])
      const card = hexParam(p, 'card', 32)
      const limit = has(p, 'limit') ? intParam(p, 'limit', { min: 1, max: MAX_PAGE }) : 100
      const prefix = nftKeys.listingPrefix(card)
      const listings = []
      for await (const [k, v] of state.scan(prefix, prefixEnd(prefix), limit)) {
        const token = k.subarray(prefix.length - 32)
        const l = ListingRecord.fromBytes(v)
        listings.push({ token: toHex(token), serial: splitTokenId(token).serial, seller: encodeAddress(l.seller), price: l.price.toString() })
      }
      return { card: toHex(card), listings, height: chain.head().height }
    },

    escrow_get: async (raw) => {
      const card = hexParam(objectParams(raw, ['card']), 'card', 32)
      const e = await cardEscrow(state, card)
      if (e === undefined) throw notFound(`card ${toHex(card)} does not exist`)
      return {
        card: toHex(card),
        creator: encodeAddress(e.creator),
        price: e.price.toString(),
        height: e.height,
        free: e.contentKey !== null,
        contentKey: e.contentKey === null ? null : toHex(e.contentKey),
        keyCommitment: e.keyCommitment === null ? null : toHex(e.keyCommitment),
        threshold: e.escrow?.threshold ?? null,
        committee: (e.escrow?.shares ?? []).map(s => ({ validator: encodeAddress(s.validator), sealed: toHex(s.sealed) })),
        headHeight: chain.head().height
      }
    },

    escrow_requestShare: async (raw, ctx: CallContext) => {
      const req = parseRequest(raw)
      if (deps.server === null) throw new RpcError('UNAVAILABLE', 'this node is not a validator and holds no escrow shares; ask a validator, or use escrow_gatherShares')
      return answerToJson(await deps.server.answerShareRequest(req, `rpc:${ctx.client}`))
    },

    escrow_gatherShares: async (raw, ctx: CallContext) => {
      const req = parseRequest(raw)
      const signal = AbortSignal.timeout(5_000)
      const [own, others] = await Promise.all([
        deps.server?.answerShareRequest(req, `rpc:${ctx.client}`),
        deps.gather?.(req, signal) ?? Promise.resolve([])
      ])
      return { answers: [...(own === undefined ? [] : [own]), ...others].map(answerToJson) }
    },

    key_putContentKey: async (raw, ctx: CallContext) => {
      if (!LOOPBACK.has(ctx.client)) throw new RpcError('UNAVAILABLE', 'key_putContentKey is for this node\'s own user: call it from the node\'s machine (loopback)')
      const p = objectParams(raw, ['card', 'key'])
      const card = hexParam(p, 'card', 32)
      const key = hexParam(p, 'key', 32)
      const e = await cardEscrow(state, card)
      if (e === undefined) throw notFound(`card ${toHex(card)} does not exist`)
      if (e.keyCommitment === null || !constantTimeEqual(keyCommitmentOf(key), e.keyCommitment)) throw invalidParams(`that key does not match the keyCommitment of card ${toHex(card)}`)
      const store = deps.contentKeys?.()
      if (store === undefined) throw new RpcError('UNAVAILABLE', 'this node runs no slice swarm, so it keeps no content keys')
      await store.put(card, key)
      return { card: toHex(card), stored: true }
    }
  }
}
