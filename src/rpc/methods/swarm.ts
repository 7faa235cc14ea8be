/**
 * Swarm JSON-RPC methods: `seeders_get {card, height?}` (the seeder map at any committed height),
 * `swarm_status` (this node's slice service: addresses, store and transfer statistics) and, for
 * the node's own user on loopback only, `swarm_fetch {card}` (start a pinned download),
 * `swarm_progress {card}` and `swarm_seed {card}` (fetch if needed and serve; returns the
 * addresses to announce with `seed.announce`).
 */
import { toHex } from '../../codec/index.js'
import { encodeAddress } from '../../crypto/index.js'
import { seedersAt, seedersNow, type Chain } from '../../state/index.js'
import type { Swarm } from '../../torrent/swarm.js'
import { SwarmError } from '../../torrent/errors.js'
import { countBits } from '../../torrent/bitfield.js'
import type { MethodTable, CallContext } from '../jsonrpc.js'
import { RpcError, notFound } from '../errors.js'
import { has, hexParam, intParam, objectParams } from '../params.js'

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

function loopbackOnly (ctx: CallContext, method: string): void {
  if (!LOOPBACK.has(ctx.client)) throw new RpcError('UNAVAILABLE', `${method} is for this node's own user: call it from the node's machine (loopback)`)
}

function swarmCall<T> (p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    if (err instanceof SwarmError && err.code === 'UNKNOWN_CARD') throw notFound(err.message)
    if (err instanceof SwarmError) throw new RpcError('UNAVAILABLE', err.message)
    throw err
  })
}

export function swarmMethods (deps: { chain: Chain, swarm: Swarm }): MethodTable {
  const { chain, swarm } = deps
  return {
    seeders_get: async (raw) => {
      const p = objectParams(raw, ['card', 'height'])
      const card = hexParam(p, 'card', 32)
      const head = chain.head().height
      const height = has(p, 'height') ? intParam(p, 'height', { min: 0, max: head }) : head
      const list = height === head ? await seedersNow(chain.state, card, head) : await seedersAt(chain.kv, card, height)
      return {
        card: toHex(card),
        height,
        seeders: list.map(s => ({
          address: encodeAddress(s.seeder),
          multiaddrs: s.entry.multiaddrs,
          pricePerMiB: s.entry.pricePerMiB.toString(),
          since: s.entry.since,
          expires: s.entry.expires
        }))
      }
    },

    swarm_status: async () => ({
      peerId: swarm.exchange.peerId,
      addresses: swarm.exchange.addresses(),
      store: swarm.store.stats(),
      exchange: swarm.exchange.stats(),
      downloads: swarm.progress()
    }),

    swarm_fetch: async (raw, ctx) => {
      loopbackOnly(ctx, 'swarm_fetch')
      const card = hexParam(objectParams(raw, ['card']), 'card', 32)
      const info = await swarmCall(swarm.card(card))
      if (swarm.isComplete(card, info.content.sliceCount)) return { card: toHex(card), complete: true, size: info.content.size }
      const dl = await swarmCall(swarm.download(info, 'bulk', true))
      return { card: toHex(card), complete: false, size: info.content.size, progress: dl.progress() }
    },

    swarm_progress: async (raw) => {
      const card = hexParam(objectParams(raw, ['card']), 'card', 32)
      const info = await swarmCall(swarm.card(card))
      const bits = swarm.store.bitfield(card)
      const running = swarm.progress().find(d => d.card === toHex(card))
      const have = running?.have ?? (bits == null ? 0 : countBits(bits))
      return {
        card: toHex(card),
        sliceCount: info.content.sliceCount,
        have,
        size: info.content.size,
        complete: have === info.content.sliceCount,
        peers: running?.peers ?? 0,
        received: running?.received ?? 0
      }
    },

    swarm_seed: async (raw, ctx) => {
      loopbackOnly(ctx, 'swarm_seed')
      const card = hexParam(objectParams(raw, ['card']), 'card', 32)
      const info = await swarmCall(swarm.card(card))
      if (!swarm.isComplete(card, info.content.sliceCount)) await swarmCall(swarm.download(info, 'bulk', true))
      else await swarm.store.setPinned(card, true)
      return { card: toHex(card), peerId: swarm.exchange.peerId, multiaddrs: swarm.exchange.addresses() }
    }
  }
}
