/**
 * Key escrow as a node module (MISSION.md §8): on a validator, an EscrowServer over the committed
 * chain holding the escrow secret derived from the consensus key, served over libp2p
 * (`/folio/escrow/1.0.0`, when the network module shares its libp2p node) and over RPC; on every
 * node, the key NFT RPC methods and the relay `escrow_gatherShares`, which asks the connected
 * escrow validators so that a client needs only its own node.
 */
import type { Libp2p } from '@libp2p/interface'
import { EscrowServer, escrowPeers, libp2pShareSource, registerEscrowProtocol, type ShareAnswer, type ShareRequest } from '../torrent/escrow/index.js'
import { keyMethods } from '../rpc/methods/keys.js'
import { cardEscrow, type Chain } from '../state/index.js'
import type { NodeModule } from './modules.js'

/** Most peers the relay asks at once (a validator set is at most 100). */
const MAX_RELAY_PEERS = 128
/** After t shares have arrived the relay waits this long for more, in case some are wrong. */
const RELAY_GRACE_MS = 150

export function waitForHeight (chain: Chain): (height: number, timeoutMs: number) => Promise<boolean> {
  return async (height, timeoutMs) => {
    if (chain.head().height >= height) return true
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => { off(); resolve(false) }, timeoutMs)
      const off = chain.onBlock((b) => {
        if (b.height >= height) { clearTimeout(timer); off(); resolve(true) }
      })
    })
  }
}

/** Asks every connected escrow peer; returns once all answered, or t+ shares plus a grace, or at abort. */
async function gatherOverLibp2p (libp2p: Libp2p, threshold: number, req: ShareRequest, signal: AbortSignal): Promise<ShareAnswer[]> {
  const peers = (await escrowPeers(libp2p)).slice(0, MAX_RELAY_PEERS)
  const answers: ShareAnswer[] = []
  return await new Promise<ShareAnswer[]>((resolve) => {
    let pending = peers.length
    let grace: NodeJS.Timeout | undefined
    const done = (): void => { clearTimeout(grace); resolve([...answers]) }
    if (pending === 0) { done(); return }
    signal.addEventListener('abort', done, { once: true })
    for (const p of peers) {
      libp2pShareSource(libp2p, p).ask(req, signal)
        .then((a) => {
          answers.push(...a)
          if (grace === undefined && answers.filter(x => x.ok).length >= threshold) grace = setTimeout(done, RELAY_GRACE_MS)
        }, () => {})
        .finally(() => { if (--pending === 0) done() })
    }
  })
}

export const escrowModule: NodeModule = {
  name: 'escrow',
  start: async (ctx) => {
    const { chain } = ctx
    const log = ctx.log.child({ module: 'escrow' })
    const server = ctx.validatorKey == null
      ? null
      : new EscrowServer({ chainId: chain.chainId, headHeight: () => chain.head().height, state: chain.state, waitForHeight: waitForHeight(chain) }, ctx.validatorKey)
    const libp2p = ctx.shared.get('libp2p') as Libp2p | undefined
    let unregister: (() => Promise<void>) | undefined
    if (server !== null && libp2p != null) {
      unregister = await registerEscrowProtocol(libp2p, server, { timeoutMs: 10_000, maxInboundStreams: 256, log })
    }
    const gather = libp2p == null
      ? undefined
      : async (req: ShareRequest, signal: AbortSignal) => {
        const esc = await cardEscrow(chain.state, req.card)
        return await gatherOverLibp2p(libp2p, esc?.escrow?.threshold ?? 1, req, signal)
      }
    log.info({ validator: server !== null, libp2p: libp2p != null }, 'key escrow started')
    return {
      methods: keyMethods({
        chain,
        server,
        gather,
        contentKeys: () => ctx.shared.get('contentKeys') as { put: (card: Uint8Array, key: Uint8Array) => Promise<void> } | undefined
      }),
      stop: async () => { await unregister?.() }
    }
  }
}
