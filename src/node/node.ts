/**
 * The one place a node is built and torn down (STYLE.md): one AbortController, each module handed
 * its dependencies and a child logger, and shutdown in the reverse order of start-up.
 */
import { readFile } from 'node:fs/promises'
import { collectDefaultMetrics, Registry, Gauge, Counter } from 'prom-client'
import { SignatureVerifier } from '../crypto/verifier.js'
import { LevelStore, Chain, parseGenesis, accountKey, decodeAccount, type Genesis } from '../state/index.js'
import { Mempool } from '../mempool/index.js'
import {
  ConsensusEngine, SignGuard, devnetConsensusOptions, defaultConsensusOptions, type SignGuardStore, type LastSigned
} from '../consensus/index.js'
import { addressFromPublicKey, type Account } from '../crypto/index.js'
import { fromHex, toHex } from '../codec/index.js'
import { RpcServer } from '../rpc/server.js'
import { chainMethods } from '../rpc/methods/chain.js'
import { NodeConsensusApp } from './consensusApp.js'
import { WalFile, writeFileDurable, readFileIfExists } from './files.js'
import { type NodeConfig, homePaths } from './config.js'
import { readWallet } from './keys.js'
import { createLogger, type Logger } from './logger.js'
import { dryRunTx } from './dryRun.js'
import type { NodeContext, NodeModule, ConsensusBridge } from './modules.js'
import type { ConsensusSink } from '../consensus/index.js'
import { NODE_MODULES } from './moduleList.js'
import { networkHandle } from './networkModule.js'

export const VERSION = '0.1.0'

/** One step of shutdown, named for the log when it hangs (shutdown.ts). */
interface Stopper { name: string, stop: () => Promise<void> | void }

class FileSignGuardStore implements SignGuardStore {
  constructor (private readonly path: string) {}

  async load (): Promise<LastSigned | null> {
    const buf = await readFileIfExists(this.path)
    if (buf === undefined) return null
    const j = JSON.parse(buf.toString('utf8'))
    return { height: j.height, round: j.round, step: j.step, signBytesHash: fromHex(j.signBytesHash), signature: fromHex(j.signature) }
  }

  async save (ls: LastSigned): Promise<void> {
    await writeFileDurable(this.path, JSON.stringify({
      height: ls.height, round: ls.round, step: ls.step, signBytesHash: toHex(ls.signBytesHash), signature: toHex(ls.signature)
    }))
  }
}

export interface NodeInit {
  config: NodeConfig
  /** Overrides the genesis file in the home folder (tests). */
  genesis?: Genesis
  /** Overrides the module list (tests). */
  modules?: NodeModule[]
  log?: Logger
}

export class FolioNode {
  readonly controller = new AbortController()
  private readonly stoppers: Stopper[] = []
  private stopping: Promise<void> | undefined
  chain!: Chain
  mempool!: Mempool
  rpc!: RpcServer
  /** The running consensus engine (replaced when block sync hands back to consensus). */
  engine: ConsensusEngine | null = null
  private draining: Promise<void> = Promise.resolve()
  readonly metrics = new Registry()
  /** Instances shared between modules (see NodeContext.shared). */
  readonly shared = new Map<string, unknown>()
  readonly log: Logger

  private constructor (readonly config: NodeConfig, readonly genesis: Genesis, log: Logger, private readonly modules: NodeModule[]) {
    this.log = log
  }

  static async create (init: NodeInit): Promise<FolioNode> {
    const { config } = init
    const paths = homePaths(config.home)
    const log = init.log ?? createLogger({ level: config.logLevel, name: config.name })
    const genesis = init.genesis ?? parseGenesis(JSON.parse(await readFile(paths.genesis, 'utf8')))
    return new FolioNode(config, genesis, log, init.modules ?? NODE_MODULES)
  }

  get signal (): AbortSignal {
    return this.controller.signal
  }

  async start (): Promise<void> {
    const { config, genesis, log } = this
    const paths = homePaths(config.home)
    try {
      const store = await LevelStore.open(paths.data)
      this.stoppers.push({ name: 'store', stop: async () => await store.close() })

      this.chain = await Chain.open(store, genesis, { log: log.child({ module: 'chain' }) })
      const chain = this.chain
      log.info({ height: chain.head().height, chainId: chain.chainId }, 'chain opened')

      const verifier = new SignatureVerifier({ workers: config.mempool.verifyWorkers })
      this.stoppers.push({ name: 'signature verifier', stop: async () => await verifier.close() })
      this.mempool = new Mempool({
        chainId: chain.chainId,
        params: chain.params,
        account: async (address) => decodeAccount(await chain.state.get(accountKey(address))),
        isCommitted: async (id) => (await chain.blocks.txLocation(id)) !== undefined,
        dryRun: async (tx) => await dryRunTx(chain, tx),
        verifier
      }, config.mempool)

      this.setupMetrics()

      const validatorKey = await this.loadValidatorKey(paths.validatorKey)
      const address = validatorKey != null ? addressFromPublicKey(validatorKey.publicKey) : null

      this.rpc = new RpcServer({
        methods: chainMethods({
          chain,
          mempool: this.mempool,
          version: VERSION,
          peers: () => networkHandle(config.home)?.peers().length ?? 0,
          syncing: () => networkHandle(config.home)?.syncing() ?? false
        }),
        log: log.child({ module: 'rpc' }),
        metrics: this.metrics,
        options: config.rpc
      })

      const app = new NodeConsensusApp({ chain, mempool: this.mempool, address, log: log.child({ module: 'app' }) })
      const wal = await WalFile.open(paths.wal)
      this.stoppers.push({ name: 'consensus WAL', stop: async () => await wal.close() })
      const single = genesis.validators.length === 1
      const signer = validatorKey != null
        ? { address: address as Uint8Array, guard: await SignGuard.open(validatorKey.secretKey, new FileSignGuardStore(paths.lastSigned)) }
        : undefined
      const sinks: ConsensusSink[] = []
      const makeEngine = async (): Promise<ConsensusEngine> => {
        const head = chain.head()
        return new ConsensusEngine({
          chainId: chain.chainId,
          clock: { now: Date.now, setTimeout: (ms, fn) => { const t = setTimeout(fn, ms); return () => clearTimeout(t) } },
          app,
          sink: {
            broadcastProposal: (p, bytes) => { for (const s of sinks) s.broadcastProposal(p, bytes) },
            broadcastVote: (v) => { for (const s of sinks) s.broadcastVote(v) },
            evidence: (ev) => { for (const s of sinks) s.evidence?.(ev) }
          },
          wal,
          signer,
          height: head.height + 1,
          lastCommit: head.height > 0 ? (await chain.blocks.commit(head.height)) ?? null : null,
          options: { ...(single ? devnetConsensusOptions : defaultConsensusOptions), ...config.consensus },
          logger: log.child({ module: 'consensus' })
        })
      }
      let engine: ConsensusEngine | null = null
      // a proposer waiting on an empty pool (idleProposeDelay) proposes as soon as a transaction comes
      this.mempool.onAdded(() => { if (engine?.waitingForWork === true) engine.workAvailable() })
      const bridge: ConsensusBridge = {
        addSink: (sink) => { sinks.push(sink) },
        receiveProposal: (p, bytes) => { engine?.receiveProposal(p, bytes) },
        receiveVote: (v) => { engine?.receiveVote(v) },
        pause: () => {
          const stopping = engine
          stopping?.stop()
          engine = null
          if (stopping != null) this.draining = stopping.idle()
        },
        resume: async () => {
          bridge.pause()
          // two engines must never share the WAL: the old one finishes what it was doing first
          await this.draining
          engine = await makeEngine()
          this.engine = engine
          await engine.start()
        },
        running: () => engine !== null,
        status: () => engine?.status ?? null
      }

      const ctx: NodeContext = {
        config, genesis, chain, mempool: this.mempool, rpc: this.rpc, metrics: this.metrics,
        log, signal: this.signal, paths, validatorKey, consensus: bridge, shared: this.shared
      }
      const started = { autoStartConsensus: true }
      for (const mod of this.modules) {
        const res = await mod.start({ ...ctx, log: log.child({ module: mod.name }) })
        if (res.methods != null) this.rpc.addMethods(res.methods)
        if (res.stop != null) this.stoppers.push({ name: `module ${mod.name}`, stop: res.stop })
        if (res.managesConsensus === true) started.autoStartConsensus = false
      }
      if (started.autoStartConsensus) await bridge.resume()
      // the engine may be mid-commit: let it finish before the WAL and the database close
      this.stoppers.push({ name: 'consensus', stop: async () => { bridge.pause(); await this.draining } })

      const url = await this.rpc.start()
      this.stoppers.push({ name: 'rpc server', stop: async () => await this.rpc.stop() })
      log.info({ rpc: `${url}/rpc`, validator: address != null }, 'node started')
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  private async loadValidatorKey (path: string): Promise<Account | null> {
    const exists = await readFileIfExists(path)
    if (exists === undefined) return null
    return await readWallet(path)
  }

  private setupMetrics (): void {
    collectDefaultMetrics({ register: this.metrics, prefix: 'folio_' })
    const height = new Gauge({ name: 'folio_chain_height', help: 'Height of the last committed block', registers: [this.metrics] })
    const txs = new Counter({ name: 'folio_txs_committed_total', help: 'Transactions committed', registers: [this.metrics] })
    const pool = new Gauge({ name: 'folio_mempool_txs', help: 'Pending transactions', registers: [this.metrics] })
    height.set(this.chain.head().height)
    this.chain.onBlock((b) => {
      height.set(b.height)
      txs.inc(b.block.txs.length)
      pool.set(this.mempool.size)
    })
  }

  private currentStep: string | undefined

  /** The shutdown step running now, if a stop is under way. */
  stoppingStep (): string | undefined {
    return this.currentStep
  }

  /** Stops every module in reverse order of start; safe to call twice. */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      this.controller.abort()
      for (const { name, stop } of this.stoppers.reverse()) {
        this.currentStep = name
        try {
          await stop()
        } catch (err) {
          this.log.warn({ err, step: name }, 'error during shutdown')
        }
      }
      this.currentStep = undefined
      this.log.info('node stopped')
    })()
    await this.stopping
  }
}
