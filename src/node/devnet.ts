/**
 * The local devnet (MISSION.md §10, §11): N validator nodes as separate processes on loopback,
 * each with its own home under the devnet folder, an embedded deterministic genesis, and
 * `devnet.json` describing them for scripts:
 *   {chainId, nodes: [{name, rpc, p2p, pid, dataDir}], faucetWallet}
 * Node i serves RPC on 26657 + 10·i and p2p on 26656 + 10·i.
 */
import { spawn } from 'node:child_process'
import { join, resolve, dirname } from 'node:path'
import { mkdir, rm, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { genesisToJSON, genesisHash, parseGenesis } from '../state/index.js'
import { bytesEqual } from '../codec/index.js'
import { devnetGenesis, devnetValidatorKey, devnetFaucetKey } from './devnetKeys.js'
import { defaultConfig, configToJSON, homePaths } from './config.js'
import { writeWallet } from './keys.js'
import { writeJson, readFileIfExists } from './files.js'
import { RpcClient } from '../client/rpcClient.js'
import { FolioError } from '../errors.js'
import { writeDevnetPeerKey, devnetBootstrapAddr } from '../network/devnetPeers.js'
import { nodeProcessArgs } from './v8Flags.js'

export class DevnetError extends FolioError<'RUNNING' | 'NOT_RUNNING' | 'START_FAILED'> {}

export interface DevnetNode {
  name: string
  rpc: string
  p2p: string
  pid: number
  dataDir: string
}

export interface DevnetFile {
  chainId: string
  nodes: DevnetNode[]
  faucetWallet: string
}

export interface DevnetOptions {
  dir: string
  validators: number
  reset?: boolean
  basePort?: number
  /** Extra config for every node (tests shorten timeouts). */
  consensus?: Record<string, number>
}

/**
 * Consensus settings a multi-validator devnet writes into each node's config. On loopback every
 * precommit arrives within milliseconds, so the pause after a commit that collects late ones can
 * be a quarter of the default: light-load latency falls from 330–380 ms to 175–256 ms (p50,
 * bench:devnet at 100 tx/s). A network across the internet keeps the 200 ms default or more.
 * With nothing to propose, a proposer waits up to a second for a transaction, so an idle devnet
 * makes about one empty block a second instead of ten.
 */
export const DEVNET_CONSENSUS: Readonly<Record<string, number>> = Object.freeze({ commitDelay: 50, idleProposeDelay: 1000 })

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/folio.js')

export function devnetFilePath (dir: string): string {
  return join(resolve(dir), 'devnet.json')
}

export async function readDevnetFile (dir: string): Promise<DevnetFile | undefined> {
  const buf = await readFileIfExists(devnetFilePath(dir))
  return buf === undefined ? undefined : JSON.parse(buf.toString('utf8'))
}

export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Writes homes, keys, configs and the genesis; keeps existing chain data when the genesis is unchanged. */
export async function prepareDevnet (opts: DevnetOptions): Promise<{ homes: string[], faucetWallet: string, chainId: string }> {
  const dir = resolve(opts.dir)
  const basePort = opts.basePort ?? 26656
  const genesis = devnetGenesis(opts.validators)
  const gJson = genesisToJSON(genesis)
  const homes: string[] = []
  for (let i = 0; i < opts.validators; i++) {
    const home = join(dir, `node${i}`)
    const paths = homePaths(home)
    const existing = await readFileIfExists(paths.genesis)
    const same = existing !== undefined && bytesEqual(genesisHash(parseGenesis(JSON.parse(existing.toString('utf8')))), genesisHash(genesis))
    if (opts.reset === true || !same) await rm(home, { recursive: true, force: true })
    await mkdir(home, { recursive: true })
    const config = defaultConfig(home)
    config.name = `node${i}`
    config.rpc = { host: '127.0.0.1', port: basePort + 1 + 10 * i }
    await writeDevnetPeerKey(home, i)
    const bootstrap: string[] = []
    for (let j = 0; j < opts.validators; j++) if (j !== i) bootstrap.push(await devnetBootstrapAddr(j, basePort + 10 * j))
    config.p2p = { listen: [`/ip4/127.0.0.1/tcp/${basePort + 10 * i}`], bootstrap }
    config.consensus = { ...(opts.validators > 1 ? DEVNET_CONSENSUS : {}), ...(opts.consensus ?? {}) }
    await writeJson(paths.config, configToJSON(config))
    await writeJson(paths.genesis, gJson)
    await writeWallet(paths.validatorKey, devnetValidatorKey(i), { insecure: true })
    homes.push(home)
  }
  const faucetWallet = join(dir, 'faucet.json')
  await writeWallet(faucetWallet, devnetFaucetKey(), { insecure: true })
  return { homes, faucetWallet, chainId: genesis.chainId }
}

async function waitForRpc (url: string, pid: number, timeoutMs: number): Promise<void> {
  const client = new RpcClient(url, { timeoutMs: 2000 })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (!isAlive(pid)) throw new DevnetError('START_FAILED', `node (pid ${pid}) exited during start-up`)
    try {
      const info = await client.call('chain_info')
      if (info.height >= 1) return
    } catch {}
    if (Date.now() > deadline) throw new DevnetError('START_FAILED', `node at ${url} did not commit a block within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

/** Starts the devnet's node processes (detached, logging to <home>/node.log) and writes devnet.json. */
export async function startDevnet (opts: DevnetOptions): Promise<DevnetFile> {
  const dir = resolve(opts.dir)
  const running = await readDevnetFile(dir)
  if (running !== undefined) {
    const alive = running.nodes.filter(n => isAlive(n.pid))
    if (alive.length > 0) {
      throw new DevnetError('RUNNING', `a devnet is already running in ${dir} (pids ${alive.map(n => n.pid).join(', ')}); stop it with "folio devnet stop"`)
    }
  }
  const { homes, faucetWallet, chainId } = await prepareDevnet(opts)
  const basePort = opts.basePort ?? 26656
  const nodes: DevnetNode[] = homes.map((home, i) => {
    const paths = homePaths(home)
    const child = spawn(process.execPath, nodeProcessArgs(BIN, ['start', '--home', home, '--log-file', paths.log]), {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, FOLIO_DEVNET: '1' }
    })
    child.unref()
    return {
      name: `node${i}`,
      rpc: `http://127.0.0.1:${basePort + 1 + 10 * i}/rpc`,
      p2p: `/ip4/127.0.0.1/tcp/${basePort + 10 * i}`,
      pid: child.pid as number,
      dataDir: paths.data
    }
  })
  const file: DevnetFile = { chainId, nodes, faucetWallet }
  await writeJson(devnetFilePath(dir), file)
  try {
    await Promise.all(nodes.map(async n => await waitForRpc(n.rpc, n.pid, 60_000)))
  } catch (err) {
    await stopDevnet(dir)
    const log = await readFile(homePaths(homes[0]).log, 'utf8').catch(() => '')
    throw new DevnetError('START_FAILED', `${(err as Error).message}\n${log.split('\n').slice(-15).join('\n')}`)
  }
  return file
}

/** Sends SIGTERM to every node, then SIGKILL to any still alive after `graceMs`. */
export async function stopDevnet (dir: string, graceMs = 10_000): Promise<DevnetNode[]> {
  const file = await readDevnetFile(dir)
  if (file === undefined) throw new DevnetError('NOT_RUNNING', `no devnet.json in ${resolve(dir)}; nothing to stop`)
  const alive = file.nodes.filter(n => isAlive(n.pid))
  for (const n of alive) {
    try { process.kill(n.pid, 'SIGTERM') } catch {}
  }
  const deadline = Date.now() + graceMs
  while (alive.some(n => isAlive(n.pid)) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
  for (const n of alive) {
    if (isAlive(n.pid)) try { process.kill(n.pid, 'SIGKILL') } catch {}
  }
  return alive
}

export async function devnetStatus (dir: string): Promise<Array<DevnetNode & { alive: boolean, height: number | null, error?: string }>> {
  const file = await readDevnetFile(dir)
  if (file === undefined) throw new DevnetError('NOT_RUNNING', `no devnet.json in ${resolve(dir)}; start one with "npm start"`)
  return await Promise.all(file.nodes.map(async n => {
    const alive = isAlive(n.pid)
    if (!alive) return { ...n, alive, height: null }
    try {
      const info = await new RpcClient(n.rpc, { timeoutMs: 2000 }).call('chain_info')
      return { ...n, alive, height: info.height as number }
    } catch (err) {
      return { ...n, alive, height: null, error: (err as Error).message }
    }
  }))
}
