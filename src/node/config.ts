/**
 * A node's home folder and configuration. Everything a node keeps lives under its home:
 *
 *   config.json          this file's settings (RPC, p2p, consensus timeouts, limits)
 *   genesis.json         the chain's genesis
 *   validator_key.json   the consensus key (mode 0600); absent on a non-validating node
 *   data/                LevelDB: state, blocks, indexes
 *   consensus/wal        the consensus write-ahead log
 *   consensus/last_signed.json   the double-sign guard
 */
import { join, resolve } from 'node:path'
import { readFile } from 'node:fs/promises'
import type { ConsensusOptions } from '../consensus/index.js'
import type { MempoolOptions } from '../mempool/index.js'
import type { RpcOptions } from '../rpc/options.js'
import { FolioError } from '../errors.js'

export interface P2pConfig {
  /** libp2p listen multiaddrs, e.g. /ip4/127.0.0.1/tcp/26656 */
  listen: string[]
  /** Multiaddrs (with /p2p/<peer id>) of peers to dial at start. */
  bootstrap: string[]
}

export interface NodeConfig {
  home: string
  rpc: Partial<RpcOptions>
  p2p: P2pConfig
  consensus: Partial<ConsensusOptions>
  mempool: Partial<MempoolOptions>
  /** Log level: trace, debug, info, warn, error. */
  logLevel: string
  /** A moniker shown in logs and the devnet. */
  name: string
}

export class ConfigError extends FolioError<'MISSING' | 'INVALID'> {}

export function homePaths (home: string): Record<'config' | 'genesis' | 'validatorKey' | 'data' | 'wal' | 'lastSigned' | 'log', string> {
  const h = resolve(home)
  return {
    config: join(h, 'config.json'),
    genesis: join(h, 'genesis.json'),
    validatorKey: join(h, 'validator_key.json'),
    data: join(h, 'data'),
    wal: join(h, 'consensus', 'wal'),
    lastSigned: join(h, 'consensus', 'last_signed.json'),
    log: join(h, 'node.log')
  }
}

export function defaultConfig (home: string): NodeConfig {
  return {
    home: resolve(home),
    rpc: { host: '127.0.0.1', port: 26657 },
    p2p: { listen: ['/ip4/127.0.0.1/tcp/26656'], bootstrap: [] },
    consensus: {},
    mempool: {},
    logLevel: 'info',
    name: 'node'
  }
}

export async function loadConfig (home: string): Promise<NodeConfig> {
  const paths = homePaths(home)
  let text: string
  try {
    text = await readFile(paths.config, 'utf8')
  } catch {
    throw new ConfigError('MISSING', `no config at ${paths.config}; run "folio init --home ${home}" first`)
  }
  let json: any
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new ConfigError('INVALID', `${paths.config} is not valid JSON: ${(err as Error).message}`)
  }
  const base = defaultConfig(home)
  return {
    home: base.home,
    rpc: { ...base.rpc, ...json.rpc },
    p2p: { ...base.p2p, ...json.p2p },
    consensus: { ...json.consensus },
    mempool: { ...json.mempool },
    logLevel: json.logLevel ?? base.logLevel,
    name: json.name ?? base.name
  }
}

export function configToJSON (c: NodeConfig): Record<string, unknown> {
  return { name: c.name, logLevel: c.logLevel, rpc: c.rpc, p2p: c.p2p, consensus: c.consensus, mempool: c.mempool }
}
