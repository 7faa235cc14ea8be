/**
 * The network as a node module: starts the libp2p host with the node's persistent p2p key
 * (`<home>/p2p_key`), connects consensus and the mempool to gossip, and takes charge of starting
 * consensus (`managesConsensus`): block sync first, consensus once caught up.
 *
 * Options beyond `config.p2p.listen` / `bootstrap` come from `config.p2p.network` (a partial
 * NetworkOptions, e.g. shorter intervals in tests) and from the factory's argument.
 *
 * For chain_info: `peers()` and `syncing()` of the returned handle (see `networkHandle`). The
 * libp2p node is shared with later modules as `ctx.shared.get('libp2p')`.
 */
import { Gauge, Counter } from 'prom-client'
import { FolioNetwork, loadOrCreatePeerKey, type NetworkOptions, type PeerInfo } from '../network/index.js'
import { toHex } from '../codec/index.js'
import { errorMessage } from '../errors.js'
import type { NodeModule } from './modules.js'

/** The running network of a node, for RPC (`chain_info.peers`, `chain_info.syncing`) and tests. */
export interface NetworkHandle {
  network: FolioNetwork
  peers: () => PeerInfo[]
  syncing: () => boolean
}

/** Handles by home folder: the lead's chain_info reads `networkHandle(config.home)`. */
const handles = new Map<string, NetworkHandle>()

export function networkHandle (home: string): NetworkHandle | undefined {
  return handles.get(home)
}

export function networkModule (overrides: Partial<NetworkOptions> = {}): NodeModule {
  return {
    name: 'network',
    start: async (ctx) => {
      const { config, chain, mempool, consensus, log } = ctx
      const fromConfig = (config.p2p as { network?: Partial<NetworkOptions> }).network ?? {}
      const network = new FolioNetwork({
        privateKey: await loadOrCreatePeerKey(config.home),
        listen: config.p2p.listen,
        bootstrap: config.p2p.bootstrap,
        chain,
        addTx: async (bytes, tx) => tx !== undefined
          ? await mempool.add(tx, bytes, { dryRun: false, fromPeer: true })
          : await mempool.addBytes(bytes, { dryRun: false, fromPeer: true }),
        checkTxs: async (list) => await mempool.checkStatelessMany(list),
        consensus,
        log,
        options: { ...fromConfig, ...overrides }
      })
      consensus.addSink(network.sink())
      await network.start()
      // later modules (the slice swarm) run their protocols on this host
      ctx.shared.set('libp2p', network.node)
      network.onEvidence((ev) => {
        log.warn({ height: ev.voteA.height, validator: toHex(ev.voteA.validator) }, 'double-sign evidence received')
      })
      // our own transactions are gossiped; a peer's batch is relayed by gossipsub as it arrived
      mempool.onAdded((p) => { if (!p.fromPeer) network.publishTx(p.bytes) })

      const peersGauge = new Gauge({
        name: 'folio_p2p_peers',
        help: 'Connected libp2p peers',
        registers: [ctx.metrics],
        collect () { this.set(network.peers().length) }
      })
      const syncingGauge = new Gauge({
        name: 'folio_p2p_syncing',
        help: '1 while block sync is catching up, 0 while following consensus',
        registers: [ctx.metrics],
        collect () { this.set(network.syncing ? 1 : 0) }
      })
      const synced = new Counter({ name: 'folio_blocksync_blocks_total', help: 'Blocks applied by block sync', registers: [ctx.metrics] })
      let lastSynced = 0
      const timer = setInterval(() => {
        const n = network.blockSync.blocksSynced
        if (n > lastSynced) synced.inc(n - lastSynced)
        lastSynced = n
      }, 1000)
      void peersGauge
      void syncingGauge

      const handle: NetworkHandle = { network, peers: () => network.peers(), syncing: () => network.syncing }
      handles.set(config.home, handle)
      return {
        managesConsensus: true,
        stop: async () => {
          clearInterval(timer)
          handles.delete(config.home)
          try {
            await network.stop()
          } catch (err) {
            log.warn({ err: errorMessage(err) }, 'p2p stop failed')
          }
        }
      }
    }
  }
}
