/**
 * In-process nodes for integration tests: a real FolioNode with LevelDB in a temp folder and
 * real HTTP on a free loopback port.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FolioNode } from '../../src/node/node.js'
import { defaultConfig, homePaths } from '../../src/node/config.js'
import { writeWallet } from '../../src/node/keys.js'
import { createLogger } from '../../src/node/logger.js'
import type { Genesis } from '../../src/state/index.js'
import type { NodeModule } from '../../src/node/modules.js'
import { devnetGenesis, devnetValidatorKey } from '../../src/node/devnetKeys.js'
import { RpcClient } from '../../src/client/rpcClient.js'

export interface TestNode {
  node: FolioNode
  rpc: RpcClient
  url: string
  home: string
  stop: () => Promise<void>
}

export async function startTestNode (opts: { genesis?: Genesis, modules?: NodeModule[], home?: string, validatorIndex?: number, validator?: boolean, bootstrap?: string[], consensus?: Record<string, number>, rpc?: Record<string, number> } = {}): Promise<TestNode> {
  const home = opts.home ?? await mkdtemp(join(tmpdir(), 'folio-test-'))
  const config = defaultConfig(home)
  config.rpc = { host: '127.0.0.1', port: 0, ...(opts.rpc ?? {}) }
  config.consensus = { minBlockInterval: 100, proposeBase: 100, ...(opts.consensus ?? {}) }
  config.p2p = { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: opts.bootstrap ?? [] }
  if (opts.validator !== false) await writeWallet(homePaths(home).validatorKey, devnetValidatorKey(opts.validatorIndex ?? 0), { insecure: true })
  const node = await FolioNode.create({
    config,
    genesis: opts.genesis ?? devnetGenesis(1),
    modules: opts.modules ?? [],
    log: createLogger({ level: process.env.FOLIO_TEST_LOG ?? 'silent', pretty: false })
  })
  await node.start()
  const url = `${node.rpc.url()}/rpc`
  return {
    node,
    rpc: new RpcClient(url),
    url,
    home,
    stop: async () => {
      await node.stop()
      if (opts.home === undefined) await rm(home, { recursive: true, force: true })
    }
  }
}

/** Polls until `fn` returns a truthy value or the time runs out. */
export async function waitFor<T = any> (fn: () => Promise<unknown>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined && v !== null && v !== false) return v as T
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
