/**
 * State rules of the seeder map (MISSION.md §4): `seed.announce`, `seed.withdraw` and the
 * end-of-block expiry of announcements whose ttl has run out. The card's `seeders` counter follows
 * the number of live entries, so the feed can sort by it.
 */
import type { SeedAnnounceBodyValue } from '../../blocks/index.js'
import { toHex } from '../../codec/index.js'
import type { Tx } from '../../blocks/types.js'
import { registerBlockHook, registerTxHandler, type TxContext } from '../registry.js'
import { StateError } from '../errors.js'
import { prefixEnd } from '../keys.js'
import { adjustCardCounter, cardCountersKey, cardKey, requireCard } from '../cards/records.js'
import { MULTIADDR_TEXT, SeedEntry, decodeSeedEntry, parseExpiryKey, seedExpiryKey, seedExpiryPrefix, seedKey } from './records.js'

const cardOf = (tx: Tx): Uint8Array => tx.body.card as Uint8Array

function readSet (tx: Tx, sender: Uint8Array): Uint8Array[] {
  const card = cardOf(tx)
  return [seedKey(card, sender), cardKey(card), cardCountersKey(card)]
}

export function checkAnnounceRules (body: SeedAnnounceBodyValue, maxSeedTtl: number): void {
  // Rule: an announcement lasts at least one block and at most the genesis maximum.
  if (body.ttl < 1 || body.ttl > maxSeedTtl) throw new StateError('INVALID_TX', `ttl ${body.ttl} must be between 1 and ${maxSeedTtl} blocks`)
  // Rule: a seeder says where to reach it, each address a libp2p multiaddr naming its peer.
  if (body.multiaddrs.length === 0) throw new StateError('INVALID_TX', 'an announcement needs at least one multiaddr')
  for (const a of body.multiaddrs) {
    if (!MULTIADDR_TEXT.test(a) || !a.includes('/p2p/')) {
      throw new StateError('INVALID_TX', `${JSON.stringify(a.slice(0, 80))} is not a multiaddr ending in /p2p/<peer id>`)
    }
  }
}

async function announce (ctx: TxContext): Promise<void> {
  const body = ctx.tx.body as SeedAnnounceBodyValue
  const { state, sender } = ctx
  checkAnnounceRules(body, ctx.params.maxSeedTtl)
  // Rule: only a card with content can be seeded.
  const card = await requireCard(state, body.card)
  if (card.card.contentRoot == null) throw new StateError('INVALID_TX', `card ${toHex(body.card)} has no content to seed`)
  const key = seedKey(body.card, sender)
  const prev = decodeSeedEntry(await state.get(key))
  // Rule: announcing again replaces the entry and restarts its ttl; it counts as one seeder.
  if (prev !== undefined) state.del(seedExpiryKey(prev.expires, body.card, sender))
  else await adjustCardCounter(state, body.card, 'seeders', 1, ctx.height)
  const expires = ctx.height + body.ttl
  state.put(key, SeedEntry.toBytes({ multiaddrs: body.multiaddrs, pricePerMiB: body.pricePerMiB, since: ctx.height, expires }))
  state.put(seedExpiryKey(expires, body.card, sender), Uint8Array.of(1))
}

async function withdraw (ctx: TxContext): Promise<void> {
  const { state, sender } = ctx
  const card = cardOf(ctx.tx)
  const key = seedKey(card, sender)
  const prev = decodeSeedEntry(await state.get(key))
  // Rule: only a live announcement can be withdrawn.
  if (prev === undefined) throw new StateError('NOT_FOUND', `you have no live announcement for card ${toHex(card)}`)
  state.del(key)
  state.del(seedExpiryKey(prev.expires, card, sender))
  await adjustCardCounter(state, card, 'seeders', -1, ctx.height)
}

registerTxHandler({ type: 'seed.announce', readSet, apply: announce })
registerTxHandler({ type: 'seed.withdraw', readSet, apply: withdraw })

registerBlockHook({
  name: 'seeders.expire',
  // Entries expiring at this height were announced in earlier blocks (ttl ≥ 1), so their queue
  // markers are in committed state and a scan of it is the same on every node.
  endBlock: async ({ state, height }) => {
    const prefix = seedExpiryPrefix(height)
    for await (const [k] of state.base.scan(prefix, prefixEnd(prefix))) {
      const { card, seeder } = parseExpiryKey(k)
      state.del(k)
      const entry = decodeSeedEntry(await state.get(seedKey(card, seeder)))
      // A renewal in this block moved the entry's expiry: its marker is elsewhere now.
      if (entry === undefined || entry.expires !== height) continue
      state.del(seedKey(card, seeder))
      await adjustCardCounter(state, card, 'seeders', -1, height)
    }
  }
})
