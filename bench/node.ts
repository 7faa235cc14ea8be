/**
 * Devnet throughput and latency: VALIDATORS node processes on loopback (1 for `bench:node`, 4 for
 * `bench:devnet`), load from a separate process spread over the nodes' RPC, committed transfers per
 * second, submit→committed latency p50/p99 at 100 tx/s, at 1,000 tx/s (4 validators) and at
 * saturation, and each node's peak RSS; `PHASES=idle` adds what an idle chain costs each node per
 * block. Latency percentiles cover every submission of a phase; `latencyP50SecondHalfMs` and
 * `latencyP99SecondHalfMs` only those of its second half.
 *
 *   npm run bench:node        (writes bench/results/node.json)
 *   npm run bench:devnet      (writes bench/results/devnet.json)
 *
 * For experiments: NODE_ARGS='--single-threaded-gc' passes flags to the node processes,
 * NODE_CPU_PROF=DIR and LOADGEN_CPU_PROF=DIR write CPU profiles of the nodes / load generator.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { prepareDevnet } from '../src/node/devnet.js'
import { nodeProcessArgs } from '../src/node/v8Flags.js'
import { RpcClient } from '../src/client/rpcClient.js'
import WebSocket from 'ws'
import { percentile, printTable, writeResults, rssOf, cpuSecondsOf } from './lib.js'

const BIN = resolve('bin/folio.js')
const VALIDATORS = Number(process.env.VALIDATORS ?? 1)
const LIGHT_RATE = 100
// Phases at a fixed rate (light, 1,000 tx/s) run 40 s. The node processes are fresh: for their first
// tens of seconds V8 compiles the hot paths and the heap grows (in a 1,000 tx/s phase started on cold
// nodes, TurboFan and page faults took 9 % and 11 % of the nodes' CPU, against 1.6 % and 6.5 % later
// at saturation), and a 10 s phase measured mostly that transient. LIGHT_SECONDS=10 gives the old length.
const LIGHT_SECONDS = Number(process.env.LIGHT_SECONDS ?? 40)
const SAT_SECONDS = Number(process.env.SAT_SECONDS ?? (VALIDATORS > 1 ? 45 : 20))
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 30)

interface Observed { height: number, time: number, txs: string[], headerTime: number }

/**
 * Watches new blocks and notes when each transaction was first seen committed: a `newHeads`
 * subscription over the node's WebSocket (a push per committed block, as a wallet or explorer
 * would follow the chain), then the block's transaction ids over HTTP. Polling chain_info every
 * 10 ms instead cost the watched node ~7 % of a core and the benchmark process ~6 % of its own.
 */
class BlockWatcher {
  readonly committedAt = new Map<string, number>()
  readonly blocks: Observed[] = []
  private ws: WebSocket | undefined
  private rssTimer: NodeJS.Timeout | undefined
  private fetching: Promise<void> = Promise.resolve()
  maxRss = 0

  readonly maxRssByPid = new Map<number, number>()

  constructor (private readonly rpc: RpcClient, private readonly wsUrl: string, private readonly pids: number[]) {}

  async start (): Promise<void> {
    const ws = new WebSocket(this.wsUrl)
    this.ws = ws
    await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    const subscribed = new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const now = Date.now()
        const msg = JSON.parse(data.toString())
        if (msg.id === 1) {
          if (msg.error != null) reject(new Error(`subscribe: ${msg.error.message as string}`))
          else resolve()
          return
        }
        if (msg.method !== 'subscription') return
        const height = msg.params.result.height as number
        const headerTime = msg.params.result.time as number
        // ids only: the watcher must not load the node it reads with JSON for thousands of transactions
        this.fetching = this.fetching.then(async () => {
          const b = await this.rpc.call('chain_getBlock', { height, txs: 'ids' }).catch(() => null)
          const ids = (b?.txIds ?? []) as string[]
          for (const id of ids) this.committedAt.set(id, now)
          this.blocks.push({ height, time: now, txs: ids, headerTime })
        })
      })
    })
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscribe', params: { topic: 'newHeads' } }))
    await subscribed
    // RSS moves slowly: four samples a second find the peak without taking the nodes' CPU
    const sampleRss = (): void => {
      for (const pid of this.pids) this.maxRssByPid.set(pid, Math.max(this.maxRssByPid.get(pid) ?? 0, rssOf(pid)))
      this.maxRss = Math.max(...this.maxRssByPid.values())
    }
    sampleRss()
    this.rssTimer = setInterval(sampleRss, 250)
  }

  async stop (): Promise<void> {
    clearInterval(this.rssTimer)
    this.ws?.close()
    await this.fetching
  }
}

/**
 * CPU used by each node between the load's start and end (the load generator writes those times;
 * its own set-up — funding, signing ahead — is outside the window).
 */
class CpuWindow {
  private from: number[] = []
  private fromAt = 0
  private to: number[] = []
  private toAt = 0

  constructor (private readonly pids: number[]) {}

  /** The load generator too, once it runs (reported as the last share). */
  add (pid: number): void { this.pids.push(pid) }

  start (): void { this.from = this.pids.map(cpuSecondsOf); this.fromAt = Date.now() }
  end (): void { this.to = this.pids.map(cpuSecondsOf); this.toAt = Date.now() }
  shares (): number[] {
    const span = (this.toAt - this.fromAt) / 1000
    return this.pids.map((_, i) => (this.to[i] - this.from[i]) / span)
  }
}

interface LoadResult { submitted: Record<string, number>, start: number, end: number, rejected: number, rejectedBy?: Record<string, number>, allFullAt?: number }

async function runLoad (url: string, rate: number, seconds: number, out: string, cpu: CpuWindow): Promise<LoadResult> {
  const profArgs = process.env.LOADGEN_CPU_PROF != null ? ['--cpu-prof', `--cpu-prof-dir=${process.env.LOADGEN_CPU_PROF}`] : []
  const child = spawn(process.execPath, [...profArgs, '--import', './src/polyfill.js', '--import', 'tsx', 'bench/loadgen.ts', url, String(rate), String(seconds), out, '1000'], { stdio: ['ignore', 'pipe', 'inherit'] })
  // the generator prints "load started" when its timed window opens
  cpu.add(child.pid as number)
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString()
    if (text.includes('load started')) cpu.start()
    // At saturation, the measurement starts once every loaded node has refused for a full pool.
    // Filling the pools from empty is a one-off burst: each node admits up to a pool of its own
    // clients' transactions and checks every peer's that gossip brings, tens of thousands of
    // signatures before the first full block; a short window would mostly measure that.
    if (rate === 0 && text.includes('load saturated')) cpu.start()
    if (text.includes('load finished')) cpu.end()
  })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  if (code !== 0) throw new Error(`load generator exited with ${code}`)
  return JSON.parse(await readFile(out, 'utf8'))
}

function summarize (load: LoadResult, watcher: BlockWatcher, saturation: boolean): Record<string, number> {
  const lat: number[] = []
  // the phase's second half alone: what a node that has run at this rate for a while gives
  const lateLat: number[] = []
  const half = (load.start + load.end) / 2
  let committed = 0
  for (const [hash, t] of Object.entries(load.submitted)) {
    const c = watcher.committedAt.get(hash)
    if (c !== undefined) {
      lat.push(c - t)
      if (t >= half) lateLat.push(c - t)
      committed++
    }
  }
  lat.sort((a, b) => a - b)
  lateLat.sort((a, b) => a - b)
  // throughput over blocks whose commit was observed inside the load window: after 2 s of warm-up,
  // and at saturation from when the pools are full (see runLoad)
  const from = Math.max(load.start + 2000, saturation ? load.allFullAt ?? 0 : 0)
  const inWindow = watcher.blocks.filter(b => b.time >= from && b.time <= load.end)
  const txs = inWindow.reduce((s, b) => s + b.txs.length, 0)
  const span = inWindow.length > 1 ? (inWindow[inWindow.length - 1].time - inWindow[0].time) / 1000 : NaN
  return {
    submitted: Object.keys(load.submitted).length,
    rejectedAtAdmission: load.rejected,
    // by reason: FULL is back-pressure the load generator answers by waiting 50 ms
    ...Object.fromEntries(Object.entries(load.rejectedBy ?? {}).map(([reason, n]) => [`rejected${reason}`, n])),
    committed,
    ...(load.allFullAt !== undefined ? { poolsFullAfterMs: load.allFullAt - load.start } : {}),
    committedPerSec: inWindow.length > 1 ? (txs - inWindow[0].txs.length) / span : NaN,
    blocks: inWindow.length,
    latencyP50Ms: percentile(lat, 50),
    latencyP99Ms: percentile(lat, 99),
    latencyP50SecondHalfMs: percentile(lateLat, 50),
    latencyP99SecondHalfMs: percentile(lateLat, 99)
  }
}

/**
 * No load at all: what consensus itself costs. Each node's CPU per block is the fixed cost of a
 * height (proposal, two vote rounds, commit) plus the chain's once-a-second work, spread over the
 * blocks the idle chain makes (about one a second, `idleProposeDelay`).
 */
async function idlePhase (watcher: BlockWatcher, cpu: CpuWindow, seconds: number): Promise<Record<string, number>> {
  cpu.start()
  await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  cpu.end()
  await watcher.stop()
  const shares = cpu.shares()
  const blocksPerSec = watcher.blocks.length / seconds
  return {
    blocksPerSec,
    ...Object.fromEntries(shares.map((v, i) => [`node${i}CpuPct`, v * 100])),
    cpuMsPerBlockPerNode: shares.reduce((a, b) => a + b, 0) / shares.length * 1000 / blocksPerSec,
    maxNodeRssMB: watcher.maxRss / 1024 / 1024
  }
}

function mergeDeep (base: any, extra: any): any {
  if (typeof base !== 'object' || base === null || typeof extra !== 'object' || extra === null || Array.isArray(extra)) return extra
  const out = { ...base }
  for (const [k, v] of Object.entries(extra)) out[k] = mergeDeep(base[k], v)
  return out
}

/** A phase's rate: tx/s, 0 for saturation, IDLE for none at all. */
const IDLE = -1

function phase (name: string): [string, number, number] {
  if (name === 'idle') return ['idle (no load)', IDLE, IDLE_SECONDS]
  if (name === 'light') return [`light (${LIGHT_RATE} tx/s)`, LIGHT_RATE, LIGHT_SECONDS]
  if (name === 'saturation') return ['saturation', 0, SAT_SECONDS]
  const rate = Number(name)
  if (!Number.isInteger(rate) || rate <= 0) throw new Error(`PHASES: '${name}' is neither idle, light, saturation nor a rate in tx/s`)
  return [`${rate.toLocaleString('en')} tx/s`, rate, LIGHT_SECONDS]
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'folio-bench-'))
  const basePort = 36000
  // one validator: a block at most every 250 ms; four: the devnet's own defaults
  // CONSENSUS='{"commitDelay":100}' overrides consensus options on every node (to compare settings)
  const consensus: Record<string, number> = {
    ...(VALIDATORS === 1 ? { minBlockInterval: 250, proposeBase: 200 } : {}),
    ...(process.env.CONSENSUS !== undefined ? JSON.parse(process.env.CONSENSUS) : {})
  }
  const { homes } = await prepareDevnet({ dir, validators: VALIDATORS, basePort, consensus })
  // VERIFY_WORKERS=n sets mempool.verifyWorkers on every node (to compare with 0: on the event loop);
  // NODE_CONFIG='{"p2p":{"network":{"txBatchMs":50}}}' is merged into every node's config.json
  let extra: unknown
  if (process.env.VERIFY_WORKERS !== undefined) extra = { mempool: { verifyWorkers: Number(process.env.VERIFY_WORKERS) } }
  if (process.env.NODE_CONFIG !== undefined) extra = mergeDeep(extra ?? {}, JSON.parse(process.env.NODE_CONFIG))
  if (extra !== undefined) {
    for (const home of homes) {
      const file = join(home, 'config.json')
      await writeFile(file, JSON.stringify(mergeDeep(JSON.parse(await readFile(file, 'utf8')), extra), null, 2))
    }
  }
  // NODE_ARGS='--single-threaded-gc' passes V8 / Node flags to the node processes only
  const nodeArgs = [
    ...(process.env.NODE_CPU_PROF != null ? ['--cpu-prof', `--cpu-prof-dir=${process.env.NODE_CPU_PROF}`] : []),
    ...(process.env.NODE_ARGS ?? '').split(' ').filter(a => a !== '')
  ]
  const nodes: ChildProcess[] = homes.map(home => spawn(process.execPath, [...nodeArgs, ...nodeProcessArgs(BIN, ['start', '--home', home, '--log-file', join(home, 'node.log')])], { stdio: 'ignore' }))
  const urls = homes.map((_, i) => `http://127.0.0.1:${basePort + 1 + 10 * i}/rpc`)
  // with several nodes, the watcher reads the last one and the load goes to the others, so that
  // the measurement does not compete with the load for one node's event loop
  const watchUrl = urls[urls.length - 1]
  const loadUrls = urls.length > 1 ? urls.slice(0, -1) : urls
  const rpc = new RpcClient(watchUrl, { timeoutMs: 10_000 })
  const startClients = urls.map(url => new RpcClient(url, { timeoutMs: 2_000 }))
  try {
    for (let i = 0; ; i++) {
      // every node committing and connected to all the others: a node still redialling a peer
      // would hold its clients' transactions back from the others' proposals
      try {
        const infos = await Promise.all(startClients.map(async client => await client.call('chain_info')))
        if (infos.every(info => info.height >= 2 && info.peers >= VALIDATORS - 1)) break
      } catch {}
      if (i > 600) throw new Error('devnet did not start')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    // PHASES=light,1000,saturation picks some (e.g. to profile one); a number is a phase at that rate
    const phases = (process.env.PHASES ?? (VALIDATORS > 1 ? 'light,1000,saturation' : 'light,saturation')).split(',').map(phase)
    const results: Record<string, Record<string, number>> = {}
    const title = `${VALIDATORS} validator${VALIDATORS > 1 ? 's' : ''}`
    for (const [name, rate, seconds] of phases) {
      const watcher = new BlockWatcher(rpc, watchUrl.replace(/^http/, 'ws').replace(/\/rpc$/, '/ws'), nodes.map(n => n.pid as number))
      await watcher.start()
      const cpu = new CpuWindow(nodes.map(n => n.pid as number))
      if (rate === IDLE) {
        results[name] = await idlePhase(watcher, cpu, seconds)
        printTable(`${title}, ${name}`, Object.entries(results[name]))
        continue
      }
      const load = await runLoad(loadUrls.join(','), rate, seconds, join(dir, `load-${rate}.json`), cpu)
      await new Promise(resolve => setTimeout(resolve, 3000)) // let the tail commit
      await watcher.stop()
      const summary = summarize(load, watcher, rate === 0)
      const shares = cpu.shares()
      results[name] = {
        ...summary,
        // share of one core each node process used while the load ran (all its threads)
        ...Object.fromEntries(shares.map((v, i) => [i < nodes.length ? `node${i}CpuPct` : 'loadgenCpuPct', v * 100])),
        // CPU of every process (nodes and load generator) per committed transaction: the cost that
        // bounds throughput on a full machine, steadier from run to run than throughput itself
        cpuMsPerTx: shares.reduce((a, b) => a + b, 0) * 1000 / summary.committedPerSec,
        maxNodeRssMB: watcher.maxRss / 1024 / 1024,
        ...Object.fromEntries([...watcher.maxRssByPid.values()].map((v, i) => [`node${i}RssMB`, v / 1024 / 1024]))
      }
      printTable(`${title}, ${name}`, Object.entries(results[name]))
    }
    const path = await writeResults(VALIDATORS === 1 ? 'node' : 'devnet', { validators: VALIDATORS, consensus, results })
    process.stdout.write(`\nwritten ${path}\n`)
  } finally {
    for (const node of nodes) node.kill('SIGTERM')
    await Promise.all(nodes.map(async node => await new Promise(resolve => node.exitCode !== null ? resolve(null) : node.once('exit', resolve))))
    if (process.env.BENCH_KEEP == null) await rm(dir, { recursive: true, force: true })
    else process.stdout.write(`kept ${dir}\n`)
  }
}

main().catch((err) => { process.stderr.write(`${err.stack ?? err}\n`); process.exit(1) })
