/**
 * A cluster of in-process validator nodes connected over real libp2p on loopback, for the network
 * and block-sync integration tests: deterministic devnet keys (validator and p2p), free ports,
 * short consensus timeouts, homes in temp folders, and the safety check every multi-node test
 * runs — at each height every node committed the same block.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FolioNode } from '../../../src/node/node.js'
import { defaultConfig, homePaths } from '../../../src/node/config.js'
import { writeWallet } from '../../../src/node/keys.js'
import { createLogger } from '../../../src/node/logger.js'
import { devnetGenesis, devnetValidatorKey } from '../../../src/node/devnetKeys.js'
import { networkModule, networkHandle } from '../../../src/node/networkModule.js'
import { writeDevnetPeerKey, devnetBootstrapAddr, type NetworkOptions } from '../../../src/network/index.js'
import { sha256 } from '../../../src/crypto/index.js'
import { toHex } from '../../../src/codec/index.js'
import type { Genesis } from '../../../src/state/index.js'

export const FAST_CONSENSUS = {
  proposeBase: 400,
  proposeDelta: 200,
  prevoteBase: 200,
  prevoteDelta: 100,
  precommitBase: 200,
  precommitDelta: 100,
  commitDelay: 50,
  minBlockInterval: 150
}

export const FAST_NETWORK: Partial<NetworkOptions> = {
  statusIntervalMs: 250,
  lagGraceMs: 800,
  redialIntervalMs: 300,
  startupPeerWaitMs: 1500,
  requestTimeoutMs: 5000
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => { resolve(typeof addr === 'object' && addr !== null ? addr.port : 0) })
    })
  })
}

export interface ClusterMember {
  index: number
  home: string
  port: number
  node: FolioNode | null
}

export class Cluster {
  readonly members: ClusterMember[] = []

  private constructor (readonly genesis: Genesis, private readonly validators: number, private readonly net: Partial<NetworkOptions>) {}

  /** Prepares `size` homes (the first `validators` of them validate); starts none. */
  static async create (size: number, validators = size, net: Partial<NetworkOptions> = FAST_NETWORK): Promise<Cluster> {
    const c = new Cluster(devnetGenesis(validators), validators, net)
    for (let i = 0; i < size; i++) {
      const home = await mkdtemp(join(tmpdir(), `folio-net${i}-`))
      await writeDevnetPeerKey(home, i)
      if (i < validators) await writeWallet(homePaths(home).validatorKey, devnetValidatorKey(i), { insecure: true })
      c.members.push({ index: i, home, port: await freePort(), node: null })
    }
    return c
  }

  async start (i: number): Promise<FolioNode> {
    const m = this.members[i]!
    const config = defaultConfig(m.home)
    config.name = `node${i}`
    config.rpc = { host: '127.0.0.1', port: 0 }
    config.consensus = { ...FAST_CONSENSUS }
    const bootstrap: string[] = []
    for (const o of this.members) if (o.index !== i) bootstrap.push(await devnetBootstrapAddr(o.index, o.port))
    config.p2p = { listen: [`/ip4/127.0.0.1/tcp/${m.port}`], bootstrap }
    const node = await FolioNode.create({
      config,
      genesis: this.genesis,
      modules: [networkModule(this.net)],
      log: createLogger({ level: process.env.FOLIO_TEST_LOG ?? 'silent', pretty: false, name: `node${i}` })
    })
    await node.start()
    m.node = node
    return node
  }

  async stop (i: number): Promise<void> {
    const m = this.members[i]!
    const node = m.node
    m.node = null
    await node?.stop()
  }

  running (): ClusterMember[] {
    return this.members.filter(m => m.node !== null)
  }

  height (i: number): number {
    return this.members[i]!.node?.chain.head().height ?? -1
  }

  syncing (i: number): boolean {
    return networkHandle(this.members[i]!.home)?.syncing() ?? false
  }

  /** Resolves once every listed node has committed `height`, polling on each node's block events. */
  async waitHeight (height: number, nodes: number[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    await Promise.all(nodes.map(async (i) => await new Promise<void>((resolve, reject) => {
      const node = this.members[i]!.node!
      if (node.chain.head().height >= height) { resolve(); return }
      const timer = setTimeout(() => {
        off()
        reject(new Error(`node${i} stuck at ${node.chain.head().height}, waiting for ${height} (${timeoutMs} ms); ${this.describe()}`))
      }, Math.max(1, deadline - Date.now()))
      const off = node.chain.onBlock((b) => {
        if (b.height >= height) { clearTimeout(timer); off(); resolve() }
      })
    })))
  }

  /** Heights, modes and consensus steps of every running node, for failure messages. */
  describe (): string {
    return this.running().map(m => {
      const st = m.node!.engine?.status
      const eng = st === undefined ? 'no engine' : `h${st.height} r${st.round} ${st.step}${st.lockedRound >= 0 ? ` locked@${st.lockedRound}` : ''}`
      return `node${m.index}: head ${this.height(m.index)}, ${this.syncing(m.index) ? 'syncing' : 'consensus'}, ${eng}`
    }).join('; ')
  }

  /**
   * The safety check: for every height that two or more nodes (running or stopped-then-reopened
   * later) committed, they committed byte-identical blocks. Returns the heights compared.
   */
  async assertSameBlocks (nodes: number[] = this.running().map(m => m.index)): Promise<number> {
    const max = Math.max(...nodes.map(i => this.height(i)))
    let compared = 0
    for (let h = 1; h <= max; h++) {
      const seen = new Map<string, number>()
      for (const i of nodes) {
        const bytes = await this.members[i]!.node!.chain.blocks.blockBytes(h)
        if (bytes !== undefined) seen.set(toHex(sha256(bytes)), i)
      }
      if (seen.size > 1) throw new Error(`fork at height ${h}: nodes ${[...seen.values()].join(', ')} committed different blocks`)
      if (seen.size === 1) compared++
    }
    return compared
  }

  async close (): Promise<void> {
    await Promise.all(this.members.map(async (m) => await this.stop(m.index).catch(() => {})))
    await Promise.all(this.members.map(async (m) => await rm(m.home, { recursive: true, force: true })))
  }
}
