/**
 * The slice swarm as a node module (MISSION.md §7): the slice store under `<home>/swarm/` (its
 * own LevelDB for the index and the content keys, one file per card for slices), the slice
 * service registered on the network module's libp2p node when there is one (`shared.libp2p`) and
 * otherwise on a libp2p node of its own listening on `config.p2p.listen`, the seeder map's history
 * index, the swarm RPC methods and the HTTP content routes.
 *
 * Settings come from `config.swarm` (config.json): `seedBudget` (bytes or "10GiB", default
 * 10 GiB), `uploadRate` (bytes per second or "20MiB", 0 = unlimited), `allowRemoteContent`
 * (serve /content and /site beyond loopback; default false).
 */
import { mkdir, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import type { Libp2p } from '@libp2p/interface'
import { LevelStore, initSeederHistory, seederHistoryIndexer } from '../state/index.js'
import { SliceStore } from '../torrent/sliceStore.js'
import { UploadBudget } from '../torrent/bandwidth.js'
import { SliceExchange } from '../torrent/exchange.js'
import { createSwarmHost } from '../torrent/host.js'
import { Swarm } from '../torrent/swarm.js'
import { ContentKeyStore } from '../torrent/keyStore.js'
import { chainCardSource, chainSeederSource } from '../torrent/chainSources.js'
import { firstKey, freeCardKeys } from '../torrent/sources.js'
import { contentRoutes } from '../rpc/content.js'
import { swarmMethods } from '../rpc/methods/swarm.js'
import type { NodeModule } from './modules.js'
import { networkHandle } from './networkModule.js'
import { FolioError } from '../errors.js'

export interface SwarmConfig {
  seedBudget?: string | number
  uploadRate?: string | number
  allowRemoteContent?: boolean
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 }

/** "10GiB", "500MB", "1048576" → bytes. */
export function parseBytes (v: string | number, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(String(v))
  const n = m == null ? NaN : Math.floor(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!)
  if (!Number.isSafeInteger(n) || n < 0) throw new FolioError('INVALID', `${what} "${String(v)}" is not a size: use bytes or a unit, e.g. 10GiB or 500MB`)
  return n
}

export const swarmModule: NodeModule = {
  name: 'swarm',
  start: async (ctx) => {
    const { config, chain } = ctx
    const log = ctx.log.child({ module: 'swarm' })
    const cfg = (config as { swarm?: SwarmConfig }).swarm ?? {}
    const dir = join(config.home, 'swarm')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await chmod(dir, 0o700) // the key store lives here
    const kv = await LevelStore.open(join(dir, 'db'))
    const store = await SliceStore.open({ dir: join(dir, 'slices'), kv, budgetBytes: parseBytes(cfg.seedBudget ?? '10GiB', 'swarm.seedBudget') })
    const rate = parseBytes(cfg.uploadRate ?? 0, 'swarm.uploadRate')
    const uploadBudget = rate === 0 ? undefined : new UploadBudget(rate, Math.max(rate, 8 * 1024 * 1024), Date.now())

    let libp2p = ctx.shared.get('libp2p') as Libp2p | undefined
    let own: Libp2p | undefined
    if (libp2p == null) {
      // A running network module that has not shared its node holds the p2p port: take a free one.
      const listen = networkHandle(config.home) == null ? config.p2p.listen : config.p2p.listen.map(a => a.replace(/\/tcp\/\d+/, '/tcp/0'))
      own = await createSwarmHost({ listen })
      libp2p = own
      log.info({ peerId: own.peerId.toString(), listen: own.getMultiaddrs().map(String) }, 'no network module: slice service on its own libp2p node')
    }
    const exchange = new SliceExchange(libp2p, { store, log, uploadBudget })
    await exchange.start()

    await initSeederHistory(chain.kv, chain.head().height)
    chain.addIndexer(seederHistoryIndexer())

    const keyStore = new ContentKeyStore(kv)
    const swarm = new Swarm({
      exchange,
      cards: chainCardSource(chain),
      seeders: chainSeederSource(chain),
      keys: firstKey([freeCardKeys, keyStore])
    })
    ctx.rpc.addRoute(contentRoutes({ swarm, keyStore, allowRemote: cfg.allowRemoteContent === true }))
    ctx.shared.set('sliceStore', store)
    // the escrow module stores keys rebuilt from validator shares here (key_putContentKey)
    ctx.shared.set('contentKeys', keyStore)
    ctx.shared.set('swarm', swarm)
    const flush = setInterval(() => { void store.flush().catch(() => {}) }, 60_000)
    log.info({ addresses: exchange.addresses(), budget: store.stats().budgetBytes }, 'slice swarm started')
    return {
      methods: swarmMethods({ chain, swarm }),
      stop: async () => {
        clearInterval(flush)
        swarm.stop()
        await exchange.stop()
        if (own != null) await own.stop()
        await store.close()
        await kv.close()
      }
    }
  }
}
