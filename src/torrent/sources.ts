/**
 * What a download needs to know from outside the swarm, as small interfaces: a card's content
 * layout (`CardSource`: from the node's own chain, from a node's RPC, or injected in tests), who
 * seeds it (`SeederSource`: the on-chain seeder map, RPC, or a fixed list) and which content keys
 * this node holds (`KeyProvider`: the node's key store now, key escrow later). The fetcher and the
 * HTTP playback code depend on these and nothing else, so they run the same against a chain, a
 * remote node or a test fixture.
 */
import type { CardContent } from './sliceStore.js'

export interface CardInfo {
  readonly id: Uint8Array
  /** Layout, content root and whether slices are sealed (always true for a card's main content). */
  readonly content: CardContent
  readonly kind: string
  readonly mime: string
  readonly price: bigint
  readonly creator: string
  readonly keySalt: Uint8Array | null
  /** The key in clear, for free cards only. */
  readonly contentKey: Uint8Array | null
}

export interface CardSource {
  /** The card's content description; undefined when the card does not exist or has no content. */
  get: (card: Uint8Array) => Promise<CardInfo | undefined>
}

export interface SeederAddress {
  /** libp2p peer id of the seeder's slice service. */
  readonly peerId: string
  /** Multiaddrs to dial; each may end in /p2p/<peerId>. */
  readonly multiaddrs: string[]
}

export interface SeederSource {
  find: (card: Uint8Array) => Promise<SeederAddress[]>
}

/**
 * Content keys this node may use to decrypt. The key-escrow issue adds a provider that reassembles
 * a key from validator shares for a key-NFT holder; providers are tried in order.
 */
export interface KeyProvider {
  key: (card: CardInfo) => Promise<Uint8Array | undefined>
}

/** Free cards carry their key in clear. */
export const freeCardKeys: KeyProvider = {
  key: async (card) => card.price === 0n && card.contentKey != null ? card.contentKey : undefined
}

export function firstKey (providers: KeyProvider[]): KeyProvider {
  return {
    key: async (card) => {
      for (const p of providers) {
        const k = await p.key(card)
        if (k != null) return k
      }
      return undefined
    }
  }
}

/** A fixed list of seeders (tests, `--peer` on the command line). */
export function staticSeeders (list: SeederAddress[]): SeederSource {
  return { find: async () => list }
}

/** Seeders from several sources, deduplicated by peer id (the seeder map plus explicit peers). */
export function mergedSeeders (sources: SeederSource[]): SeederSource {
  return {
    find: async (card) => {
      const byPeer = new Map<string, SeederAddress>()
      for (const s of sources) {
        for (const a of await s.find(card).catch(() => [])) {
          const known = byPeer.get(a.peerId)
          byPeer.set(a.peerId, known == null ? a : { peerId: a.peerId, multiaddrs: [...new Set([...known.multiaddrs, ...a.multiaddrs])] })
        }
      }
      return [...byPeer.values()]
    }
  }
}

/** The peer id in a multiaddr's /p2p/ component, if any. */
export function peerIdOf (addr: string): string | undefined {
  const m = /\/p2p\/([^/]+)/.exec(addr)
  return m?.[1]
}
