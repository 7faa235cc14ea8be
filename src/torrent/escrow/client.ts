/**
 * A key holder's side of share release (MISSION.md §8): `obtainContentKey` signs one request,
 * asks every source (validators over libp2p or RPC, or a relay) in parallel, checks each released
 * share against its commitment in the card, combines the first t good ones, checks the result
 * against `keyCommitment` and returns the content key. A wrong share is dropped and the client
 * waits for others; a validator that is down or slow only matters if fewer than t remain.
 * Free cards return their key in clear without asking anyone.
 */
import { combineShares, constantTimeEqual, ed25519SecretToX25519, openSealed, type Account } from '../../crypto/index.js'
import { toHex } from '../../codec/index.js'
import { sameBytes, type CardEscrow } from '../../state/nft/records.js'
import { ESCROW_RELEASE_INFO, keyCommitmentOf, matchesEntry, splitPayload } from './format.js'
import { EscrowError } from './errors.js'
import { signShareRequest, type ShareAnswer, type ShareRequest } from './request.js'

/** Where shares come from: each call may return answers of one or several validators. */
export interface ShareSource {
  name: string
  ask: (req: ShareRequest, signal: AbortSignal) => Promise<ShareAnswer[]>
}

export interface ObtainOptions {
  chainId: string
  /** A recent committed height (the request's freshness). */
  height: number
  sources: ShareSource[]
  timeoutMs?: number
}

export interface ObtainReport {
  key: Uint8Array
  /** Validators whose shares were combined. */
  used: string[]
  /** Validators whose released share failed its commitment. */
  badShares: string[]
  refusals: Array<{ validator: string | null, reason: string, message: string }>
}

/** The content key of `escrow`'s card for the holder of `token`, or an EscrowError saying why not. */
export async function obtainContentKey (escrow: CardEscrow, token: Uint8Array, holder: Account, opts: ObtainOptions): Promise<ObtainReport> {
  // Rule: free cards carry their key; it still has to match a commitment when one is given.
  if (escrow.contentKey !== null) {
    if (escrow.keyCommitment !== null && !constantTimeEqual(keyCommitmentOf(escrow.contentKey), escrow.keyCommitment)) {
      throw new EscrowError('COMMITMENT_MISMATCH', `the key in card ${toHex(escrow.card)} does not match its keyCommitment`)
    }
    return { key: escrow.contentKey, used: [], badShares: [], refusals: [] }
  }
  if (escrow.escrow === null || escrow.keyCommitment === null) throw new EscrowError('NO_ESCROW', `card ${toHex(escrow.card)} has no escrowed key; ask its creator`)
  const spec = escrow.escrow
  const req = signShareRequest(holder, { chainId: opts.chainId, card: escrow.card, token, height: opts.height })
  const mySecret = ed25519SecretToX25519(holder.secretKey)
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort() }, opts.timeoutMs ?? 10_000)

  const good = new Map<string, Uint8Array>()
  const badShares = new Set<string>()
  const refusals: ObtainReport['refusals'] = []

  return await new Promise<ObtainReport>((resolve, reject) => {
    let pending = opts.sources.length
    let done = false
    const finish = (err: Error | null, report?: ObtainReport): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      controller.abort()
      if (err !== null) reject(err); else resolve(report!)
    }
    const failIfExhausted = (): void => {
      if (pending > 0 || done) return
      const why = refusals.length > 0 ? `; refusals: ${refusals.map(r => `${r.validator ?? '?'}: ${r.reason} (${r.message})`).join('; ')}` : ''
      const bad = badShares.size > 0 ? `; ${badShares.size} validator(s) released a wrong share` : ''
      finish(new EscrowError('NOT_ENOUGH_SHARES', `got ${good.size} of the ${spec.threshold} shares needed for card ${toHex(escrow.card)}${bad}${why}`))
    }
    const take = async (a: ShareAnswer): Promise<void> => {
      const v = a.validator === null ? null : toHex(a.validator)
      if (!a.ok) { refusals.push({ validator: v, reason: a.reason, message: a.message }); return }
      const entry = spec.shares.find(s => sameBytes(s.validator, a.validator))
      if (entry === undefined || v === null || good.has(v)) return
      try {
        const payload = splitPayload(openSealed(mySecret, a.sealed, ESCROW_RELEASE_INFO))
        if (!matchesEntry(payload, entry.sealed)) throw new Error('commitment')
        good.set(v, payload.share)
      } catch {
        badShares.add(v)
        return
      }
      if (good.size >= spec.threshold && !done) {
        const used = [...good.keys()].slice(0, spec.threshold)
        const key = await combineShares(used.map(u => good.get(u)!))
        if (!constantTimeEqual(keyCommitmentOf(key), escrow.keyCommitment!)) {
          finish(new EscrowError('COMMITMENT_MISMATCH', `shares that match their commitments rebuild a key that fails keyCommitment: the escrow of card ${toHex(escrow.card)} is broken; its creator should re-escrow it`))
          return
        }
        finish(null, { key, used, badShares: [...badShares], refusals })
      }
    }
    if (pending === 0) failIfExhausted()
    controller.signal.addEventListener('abort', () => {
      if (!done) finish(new EscrowError('NOT_ENOUGH_SHARES', `timed out with ${good.size} of the ${spec.threshold} shares needed for card ${toHex(escrow.card)}`))
    })
    for (const s of opts.sources) {
      s.ask(req, controller.signal)
        .then(async (answers) => { for (const a of answers) await take(a) })
        .catch((err: unknown) => { refusals.push({ validator: null, reason: 'unreachable', message: `${s.name}: ${(err as Error).message}` }) })
        .finally(() => { pending--; failIfExhausted() })
    }
  })
}
