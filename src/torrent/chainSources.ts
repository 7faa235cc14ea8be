/**
 * `CardSource` and `SeederSource` over a node's own committed chain: a card's content fields from
 * its `card.publish` record, and its seeders from the live seeder map. A node without the chain
 * (a test peer, a light setup) passes another node's `Chain` object or its own implementations.
 */
import type { Chain } from '../state/index.js'
import { getCard, seedersNow } from '../state/index.js'
import { encodeAddress } from '../crypto/index.js'
import { assertLayout } from './layout.js'
import type { CardInfo, CardSource, SeederAddress, SeederSource } from './sources.js'
import { peerIdOf } from './sources.js'

export function chainCardSource (chain: Chain): CardSource {
  return {
    get: async (id) => {
      const rec = await getCard(chain.overlay(), id)
      const c = rec?.card
      if (c == null || c.contentRoot == null) return undefined
      try {
        assertLayout({ size: c.size, sliceSize: c.sliceSize, sliceCount: c.sliceCount })
      } catch {
        return undefined // a layout the swarm cannot carry (slice size outside 16 KiB..4 MiB)
      }
      const info: CardInfo = {
        id,
        content: { size: c.size, sliceSize: c.sliceSize, sliceCount: c.sliceCount, contentRoot: c.contentRoot, encrypted: true },
        kind: c.kind,
        mime: c.mime,
        price: c.price,
        creator: encodeAddress(rec!.creator),
        keySalt: c.keySalt ?? null,
        contentKey: c.contentKey ?? null
      }
      return info
    }
  }
}

export function chainSeederSource (chain: Chain): SeederSource {
  return {
    find: async (card) => {
      const out: SeederAddress[] = []
      for (const s of await seedersNow(chain.state, card, chain.head().height)) {
        const peerId = s.entry.multiaddrs.map(peerIdOf).find(p => p != null)
        if (peerId != null) out.push({ peerId, multiaddrs: s.entry.multiaddrs })
      }
      return out
    }
  }
}
