/**
 * Fixtures shared by the swarm tests and the benchmark: slice stores in temp folders, swarm hosts
 * on 127.0.0.1 port 0, content published into a store, and seeder lists pointing at hosts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Libp2p } from '@libp2p/interface'
import { MemoryStore } from '../../../src/state/store.js'
import { SliceStore } from '../../../src/torrent/sliceStore.js'
import { commitContent } from '../../../src/torrent/publish.js'
import { createSwarmHost } from '../../../src/torrent/host.js'
import { SliceExchange, type ExchangeDeps } from '../../../src/torrent/exchange.js'
import { Swarm, type SwarmOptions } from '../../../src/torrent/swarm.js'
import type { CardContent } from '../../../src/torrent/sliceStore.js'
import type { CardInfo, SeederAddress } from '../../../src/torrent/sources.js'

export interface Peer {
  host: Libp2p
  store: SliceStore
  exchange: SliceExchange
  dir: string
  address: () => SeederAddress
  stop: () => Promise<void>
}

export async function startPeer (opts: { budgetBytes?: number, exchange?: Partial<ExchangeDeps> } = {}): Promise<Peer> {
  const dir = await mkdtemp(join(tmpdir(), 'folio-swarm-'))
  const store = await SliceStore.open({ dir, kv: new MemoryStore(), budgetBytes: opts.budgetBytes ?? 1 << 30 })
  const host = await createSwarmHost({ listen: ['/ip4/127.0.0.1/tcp/0'] })
  const exchange = new SliceExchange(host, { store, ...opts.exchange })
  await exchange.start()
  let stopped = false
  return {
    host,
    store,
    exchange,
    dir,
    address: () => ({ peerId: host.peerId.toString(), multiaddrs: host.getMultiaddrs().map(a => a.toString()) }),
    stop: async () => {
      if (stopped) return
      stopped = true
      await exchange.stop()
      await host.stop()
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

export function randomContent (bytes: number): Uint8Array {
  return new Uint8Array(randomBytes(bytes))
}

async function * chunks (data: Uint8Array, size = 1 << 20): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}

/** Publishes `data` into `store` under a random card id, encrypted with `key` (null: clear). */
export async function publishInto (store: SliceStore, data: Uint8Array, key: Uint8Array | null, sliceSize = 262_144, card: Uint8Array = new Uint8Array(randomBytes(32))): Promise<{ card: Uint8Array, content: CardContent }> {
  const slices: Uint8Array[] = []
  const layout = await commitContent(chunks(data), key, sliceSize, (s) => { slices.push(s.ciphertext) })
  const content: CardContent = { size: layout.size, sliceSize: layout.sliceSize, sliceCount: layout.sliceCount, contentRoot: layout.contentRoot, encrypted: key != null }
  await store.addCard(card, content, layout.leafHashes, { own: true })
  for (let i = 0; i < slices.length; i++) await store.put(card, i, slices[i]!)
  return { card, content }
}

/**
 * A swarm on `peer` that knows one card (its layout and content key, as a free card's) and finds
 * its seeders with `find`.
 */
export function cardSwarm (peer: Peer, card: Uint8Array, content: CardContent, key: Uint8Array, find: () => Promise<SeederAddress[]>, download: SwarmOptions['download'] = { refreshMs: 200 }): Swarm {
  const info: CardInfo = { id: card, content, kind: 'video', mime: 'video/mp4', price: 0n, creator: '', keySalt: null, contentKey: key }
  return new Swarm({
    exchange: peer.exchange,
    cards: { get: async (id) => Buffer.compare(id, card) === 0 ? info : undefined },
    seeders: { find },
    keys: { key: async () => key },
    download
  })
}
