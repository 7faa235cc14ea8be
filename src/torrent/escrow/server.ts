/**
 * A validator's side of share release (MISSION.md §8): `answerShareRequest(request, peer)` checks
 * a signed request against committed state and answers with this validator's share sealed to the
 * holder, or refuses with a reason. It knows nothing of libp2p or HTTP: the libp2p protocol
 * (protocol.ts) and the RPC method `escrow_requestShare` both call it.
 *
 * Checks, cheapest first so that floods cost little: rate per peer; the request's form, chain id
 * and signature; rate per account; the height window; the card's escrow and this validator's place
 * in its committee; ownership of the token at the committed head. Only then is the escrow secret
 * used, to open this validator's share and re-seal it to the holder.
 */
import { addressFromPublicKey, ed25519PublicToX25519, ed25519SecretToX25519, sealTo, type Account } from '../../crypto/index.js'
import { toHex } from '../../codec/index.js'
import { cardEscrow, holdsTokenOf, sameBytes, type StateReader } from '../../state/nft/records.js'
import { ESCROW_RELEASE_INFO, concat, openEscrowEntry, type SharePayload } from './format.js'

/** Opened shares kept in memory (one per hot card). */
const MAX_OPENED = 10_000
import { verifyShareRequest, type RefusalReason, type ShareAnswer, type ShareRequest } from './request.js'

/** The committed chain as the server sees it. */
export interface EscrowChainView {
  chainId: string
  headHeight: () => number
  /** Committed state at the head. */
  state: StateReader
  /** Resolves true once the head reaches `height`, false after `timeoutMs`. */
  waitForHeight?: (height: number, timeoutMs: number) => Promise<boolean>
}

export interface EscrowServerOptions {
  /** Oldest request height accepted: head - window (blocks). */
  window: number
  /** A request for a height ahead of our head waits this long for us to catch up. */
  aheadWaitMs: number
  perAccount: { ratePerSec: number, burst: number }
  perPeer: { ratePerSec: number, burst: number }
  now: () => number
}

export const DEFAULT_ESCROW_SERVER: EscrowServerOptions = {
  window: 20,
  aheadWaitMs: 3_000,
  perAccount: { ratePerSec: 5, burst: 20 },
  perPeer: { ratePerSec: 200, burst: 400 },
  now: Date.now
}

/** Token buckets by key, with idle buckets dropped so one-off keys cannot grow memory without bound. */
export class Buckets {
  private readonly map = new Map<string, { tokens: number, at: number }>()
  constructor (private readonly rate: number, private readonly burst: number, private readonly now: () => number, private readonly max = 50_000) {}

  take (key: string): boolean {
    const t = this.now()
    let b = this.map.get(key)
    if (b === undefined) {
      if (this.map.size >= this.max) this.sweep(t)
      b = { tokens: this.burst, at: t }
      this.map.set(key, b)
    } else {
      b.tokens = Math.min(this.burst, b.tokens + (t - b.at) * this.rate / 1000)
      b.at = t
    }
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  private sweep (t: number): void {
    for (const [k, b] of this.map) if (b.tokens + (t - b.at) * this.rate / 1000 >= this.burst) this.map.delete(k)
    if (this.map.size >= this.max) this.map.clear()
  }
}

export class EscrowServer {
  readonly address: Uint8Array
  private readonly escrowSecret: Uint8Array
  private readonly opts: EscrowServerOptions
  private readonly accounts: Buckets
  private readonly peers: Buckets
  /**
   * Opened shares by card entry: opening costs an X25519 agreement per request otherwise. The
   * escrow secret that opens them is in this process's memory anyway, so keeping opened shares
   * adds no exposure beyond it; the map is bounded and keyed by the sealed bytes, so a re-escrow
   * never serves a stale share.
   */
  private readonly opened = new Map<string, SharePayload>()
  private served = 0
  private refused = 0

  constructor (private readonly chain: EscrowChainView, validatorKey: Account, opts: Partial<EscrowServerOptions> = {}) {
    this.opts = { ...DEFAULT_ESCROW_SERVER, ...opts }
    this.address = validatorKey.address
    this.escrowSecret = ed25519SecretToX25519(validatorKey.secretKey)
    this.accounts = new Buckets(this.opts.perAccount.ratePerSec, this.opts.perAccount.burst, this.opts.now)
    this.peers = new Buckets(this.opts.perPeer.ratePerSec, this.opts.perPeer.burst, this.opts.now)
  }

  stats (): { served: number, refused: number } {
    return { served: this.served, refused: this.refused }
  }

  private refuse (reason: RefusalReason, message: string): ShareAnswer {
    this.refused++
    return { ok: false, validator: this.address, reason, message }
  }

  /** Answers one request; `peer` is the libp2p peer id or the RPC client's address. */
  async answerShareRequest (req: ShareRequest, peer: string): Promise<ShareAnswer> {
    if (!this.peers.take(peer)) return this.refuse('rate limited', 'too many share requests from your address; retry in a second')
    if (req.chainId !== this.chain.chainId) return this.refuse('bad request', `the request is for chain ${JSON.stringify(req.chainId)}, this is ${JSON.stringify(this.chain.chainId)}`)
    if (!verifyShareRequest(req)) return this.refuse('bad request', 'the request signature does not verify: sign it with the key of the account that holds the token')
    const holder = addressFromPublicKey(req.from)
    if (!this.accounts.take(toHex(holder))) return this.refuse('rate limited', 'too many share requests for your account; retry in a few seconds')

    // Rule: the request names a recent committed height, so a captured request soon expires.
    let head = this.chain.headHeight()
    if (req.height > head && this.chain.waitForHeight != null) {
      await this.chain.waitForHeight(req.height, this.opts.aheadWaitMs)
      head = this.chain.headHeight()
    }
    if (req.height > head) return this.refuse('stale height', `height ${req.height} is ahead of this validator's committed head ${head}; retry shortly`)
    if (req.height < head - this.opts.window) return this.refuse('stale height', `height ${req.height} is older than ${this.opts.window} blocks (head ${head}); sign a new request at a recent height`)

    const esc = await cardEscrow(this.chain.state, req.card)
    if (esc === undefined) return this.refuse('unknown card', `card ${toHex(req.card)} does not exist at height ${head}`)
    if (esc.escrow === null) return this.refuse('unknown card', `card ${toHex(req.card)} has no escrowed key${esc.contentKey !== null ? ' (it is free: its key is in the card)' : ''}`)
    const entry = esc.escrow.shares.find(s => sameBytes(s.validator, this.address))
    if (entry === undefined) return this.refuse('not in committee', `this validator holds no share of card ${toHex(req.card)}; ask its committee (escrow_get)`)

    // Rule: only the current holder of a token of this card gets a share (committed state at head).
    if (!await holdsTokenOf(this.chain.state, holder, req.card, req.token)) {
      return this.refuse('not the holder', `account does not hold token ${toHex(req.token)} of card ${toHex(req.card)} at height ${head}`)
    }
    const cacheKey = toHex(entry.sealed)
    let payload = this.opened.get(cacheKey)
    try {
      if (payload === undefined) {
        payload = openEscrowEntry(this.escrowSecret, entry.sealed)
        if (this.opened.size >= MAX_OPENED) this.opened.delete(this.opened.keys().next().value!)
        this.opened.set(cacheKey, payload)
      }
    } catch {
      // The publisher sealed garbage or to another key: say so rather than fail the transport.
      return this.refuse('unknown card', `this validator's escrowed share of card ${toHex(req.card)} does not open; the creator should re-escrow it (card.reescrow)`)
    }
    this.served++
    return { ok: true, validator: this.address, sealed: sealTo(ed25519PublicToX25519(req.from), concat(payload.share, payload.salt), ESCROW_RELEASE_INFO) }
  }
}
