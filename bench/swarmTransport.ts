/**
 * The transport's ceiling under the slice swarm: raw libp2p stream throughput (TCP, Noise, Yamux)
 * on 127.0.0.1, no slice protocol at all — a sender writes 64 MiB in 256 KiB chunks as fast as the
 * stream drains, the receiver counts bytes. Two layouts (both ends in this process, and the sender
 * in a child process) and three settings — libp2p's defaults; the swarm host's Yamux settings
 * (SWARM_YAMUX) over plain `@libp2p/tcp`; and the swarm host as it is, SWARM_YAMUX over
 * `tcpTransport` (one socket write per buffer list, decision 0009) — so bench/swarm.ts's figures
 * can be read against what libp2p itself can carry here.
 *
 * Run: node --import ./src/polyfill.js --import tsx bench/swarmTransport.ts [--mib 64] [--runs 5]
 */
import { fork } from 'node:child_process'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { SWARM_YAMUX } from '../src/torrent/host.js'
import { tcpTransport } from '../src/network/tcpTransport.js'
import { median, printTable, writeResults } from './lib.js'

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const TOTAL = arg('mib', 64) * 1024 * 1024
const RUNS = arg('runs', 5)
const CHUNK = 256 * 1024
const PROTOCOL = '/folio/bench/raw/1.0.0'
type Tuning = 'defaults' | 'swarm-yamux' | 'swarm'
const TUNINGS: Tuning[] = ['defaults', 'swarm-yamux', 'swarm']
const LABELS: Record<Tuning, string> = { defaults: 'libp2p defaults', 'swarm-yamux': 'SWARM_YAMUX, plain tcp()', swarm: 'SWARM_YAMUX, tcpTransport (swarm host)' }

async function host (tuning: Tuning): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tuning === 'swarm' ? tcpTransport() : tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [tuning === 'defaults' ? yamux() : yamux(SWARM_YAMUX)]
  })
}

/** A host that answers every stream with TOTAL bytes, written as fast as the stream drains. */
async function sender (tuning: Tuning): Promise<Libp2p> {
  const h = await host(tuning)
  await h.handle(PROTOCOL, (stream) => {
    const chunk = new Uint8Array(CHUNK).fill(7)
    void (async () => {
      for (let sent = 0; sent < TOTAL; sent += CHUNK) {
        if (stream.writableNeedsDrain) await stream.onDrain()
        stream.send(chunk.subarray(0, Math.min(CHUNK, TOTAL - sent)))
      }
    })().catch(() => {})
  })
  return h
}

async function receive (h: Libp2p, addr: string): Promise<number> {
  const t0 = performance.now()
  const stream = await h.dialProtocol(multiaddr(addr), PROTOCOL)
  let got = 0
  await new Promise<void>((resolve, reject) => {
    stream.addEventListener('message', (evt) => { got += evt.data.byteLength; if (got >= TOTAL) resolve() })
    stream.addEventListener('close', () => { if (got < TOTAL) reject(new Error(`stream closed after ${got} bytes`)) })
  })
  const ms = performance.now() - t0
  stream.abort(new Error('done'))
  return TOTAL / 1e6 / (ms / 1000)
}

async function measure (tuning: Tuning, twoProcess: boolean): Promise<number[]> {
  let addr: string
  let stop: () => Promise<void>
  if (twoProcess) {
    const child = fork(process.argv[1]!, ['--sender', tuning, '--mib', String(TOTAL / 1024 / 1024)], { execArgv: process.execArgv })
    const exited = new Promise(resolve => { child.once('exit', resolve) })
    addr = await new Promise<string>((resolve, reject) => { child.once('message', resolve as (m: unknown) => void); child.once('exit', () => { reject(new Error('sender exited')) }) })
    stop = async () => { child.kill(); await exited }
  } else {
    const s = await sender(tuning)
    addr = s.getMultiaddrs()[0]!.toString()
    stop = async () => { await s.stop() }
  }
  const r = await host(tuning)
  const out: number[] = []
  try {
    // A new connection per run: the first stream pays the dial, later ones would not.
    for (let i = 0; i < RUNS; i++) {
      out.push(await receive(r, addr))
      await r.hangUp(multiaddr(addr))
      process.stderr.write(`… ${tuning}, ${twoProcess ? 'two processes' : 'one process'}: ${out.at(-1)!.toFixed(0)} MB/s\n`)
    }
  } finally {
    await r.stop()
    await stop()
  }
  return out
}

if (process.argv.includes('--sender')) {
  const tuning = process.argv[process.argv.indexOf('--sender') + 1] as Tuning
  const s = await sender(tuning)
  process.send!(s.getMultiaddrs()[0]!.toString())
} else {
  const results: Record<string, number[]> = {}
  for (const tuning of TUNINGS) {
    for (const two of [false, true]) results[`${LABELS[tuning]}, ${two ? 'two processes' : 'one process'}`] = await measure(tuning, two)
  }
  printTable(`raw libp2p stream on loopback, ${TOTAL / 1024 / 1024} MiB (MB/s, median of ${RUNS})`,
    Object.entries(results).map(([k, v]) => [k, `${median(v).toFixed(0)} (${v.map(x => x.toFixed(0)).join(', ')})`]))
  const path = await writeResults('swarmTransport', { mib: TOTAL / 1024 / 1024, runs: RUNS, chunk: CHUNK, swarmYamux: SWARM_YAMUX, mbps: results })
  process.stdout.write(`\nresults: ${path}\n`)
  process.exit(0)
}
