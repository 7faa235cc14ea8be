/**
 * Slice-swarm benchmark on loopback, for a 64 MiB card (MISSION.md §7):
 *   - first, each system in processes of its own ("own processes"): folio's seeder and downloader
 *     in two fresh child processes (bench/swarmSeeder.ts, bench/swarmDownloader.ts), WebTorrent
 *     2.8.5's seeder and downloader in two more (bench/peers/webtorrent.mjs), this process only
 *     asking for transfers. Each system makes the same number of transfers (--transfers, default 16)
 *     from its one seeder, each with a fresh peer or client, the two systems alternating A B B A;
 *     reported: each system's first transfer (its downloader process is cold: nothing compiled yet)
 *     and the median of the rest, and the ratio of like with like (first to first, median to
 *     median); also each transfer's CPU in both processes, the downloader's GC pauses, the seeder's
 *     full garbage collections (decision 0014), and what other work and the hypervisor took from the
 *     machine meanwhile. This is the same comparison for both
 *     systems; it differs from the rows below in that no downloader shares its process (its V8
 *     isolate, heap and event loop) with a seeder or with the other system (decision 0012);
 *   - MB/s of a bulk download from one seeder and from three (all peers in this process), and from
 *     one seeder in a child process (bench/swarmSeeder.ts);
 *   - time from a range request to the first decrypted byte, on a peer with no connection to the
 *     three seeders (cold) and on one already connected to them (warm) — see firstByte;
 *   - a simulated player reading at a fixed bitrate: start-up time, number and length of stalls,
 *     with three seeders each limited to the bitrate's upload, and with one of them killed halfway
 *     (two left: twice the bitrate);
 *   - the same single-seeder transfer with WebTorrent 2.8.5 in the same run, over plain TCP on
 *     127.0.0.1 (no DHT/LSD/tracker/uTP/WebRTC), both with seeder and downloader in this process (as
 *     folio's peers are here) and with the seeder in a child process; each ratio row compares the
 *     same layout. In these rows this process runs folio's seeders and downloaders and WebTorrent
 *     one after another, and folio's transfers here run well below the own-processes figures.
 *
 * WebTorrent lives in bench/peers, a separate package so the project's `npm ci` never depends on it.
 * Install it first (once):  npm --prefix bench/peers install      (see bench/peers/README.md)
 * Without it the WebTorrent rows say "not installed".
 *
 * Run: node --import ./src/polyfill.js --import tsx bench/swarm.ts [--mib 64] [--runs 3] [--transfers 16] [--bitrate-mbps 32]
 *      --own-only: only the own-processes rows (writes bench/results/swarm-own.json)
 */
import { fork, type ChildProcess, type Serializable } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { Swarm } from '../src/torrent/swarm.js'
import { UploadBudget } from '../src/torrent/bandwidth.js'
import type { SeederAddress } from '../src/torrent/sources.js'
import type { CardContent } from '../src/torrent/sliceStore.js'
import { startPeer, publishInto, randomContent, cardSwarm, type Peer } from '../test/unit/swarm/fixtures.js'
import { errorMessage } from '../src/errors.js'
import { NODE_V8_FLAGS } from '../src/node/v8Flags.js'
import { cpuSecondsOf, machineCpuSeconds, median, printTable, writeResults, type GcTotals } from './lib.js'

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const MIB = arg('mib', 64)
const RUNS = arg('runs', 3)
const TRANSFERS = arg('transfers', 16)
const BITRATE = arg('bitrate-mbps', 32) * 1e6 / 8 // bytes per second
const KEY = new Uint8Array(32).fill(3)
const peers: Peer[] = []
const step = (what: string): void => { process.stderr.write(`… ${what}\n`) }

async function peer (uploadRate = 0): Promise<Peer> {
  const budget = uploadRate === 0 ? undefined : new UploadBudget(uploadRate, Math.max(uploadRate / 4, 300_000), Date.now())
  const p = await startPeer({ budgetBytes: 4 * 2 ** 30, exchange: { uploadBudget: budget } })
  peers.push(p)
  return p
}

/** Seeders as running peers of this process, or as addresses of peers elsewhere. */
const addressesOf = (seeders: Peer[] | SeederAddress[]): SeederAddress[] =>
  seeders.map(s => 'host' in s ? (s.host.status === 'started' ? s.address() : undefined) : s).filter((a): a is SeederAddress => a != null)

function swarmFor (p: Peer, card: Uint8Array, content: CardContent, seeders: Peer[] | SeederAddress[], msPerSlice?: number): Swarm {
  return cardSwarm(p, card, content, KEY, async () => addressesOf(seeders),
    { refreshMs: 200, picker: msPerSlice != null ? { msPerSlice, readAheadSlices: 48, windowSlices: 12, requestTimeoutMs: 3_000 } : undefined })
}

async function bulk (card: Uint8Array, content: CardContent, seeders: Peer[] | SeederAddress[]): Promise<number> {
  const p = await peer()
  const swarm = swarmFor(p, card, content, seeders)
  const t0 = performance.now()
  await swarm.fetch(card)
  const ms = performance.now() - t0
  await p.stop()
  return content.size / 1e6 / (ms / 1000)
}

/**
 * Milliseconds from `swarm.read(offset…)` to its first decrypted bytes, on a fresh peer that knows
 * the card (layout, root, key) but holds none of it: seeder lookup, the connection to each seeder
 * (TCP, Noise, Yamux: `cold`) or a stream on a connection that is already open (`warm`), the
 * handshake, the leaf layer checked against the root, the first slice checked against its leaf,
 * and its decryption.
 */
async function firstByte (card: Uint8Array, content: CardContent, seeders: Peer[], offset: number, warm = false): Promise<number> {
  const p = await peer()
  const swarm = swarmFor(p, card, content, seeders)
  const info = await swarm.card(card)
  if (warm) for (const s of seeders) await p.host.dial(multiaddr(s.address().multiaddrs[0]!))
  const t0 = performance.now()
  const it = swarm.read(info, offset, content.size - 1)
  await it.next()
  const ms = performance.now() - t0
  await it.return(undefined)
  swarm.stop()
  await p.stop()
  return ms
}

/** A player consuming at BITRATE with up to `bufferS` seconds read ahead; returns start-up and stalls. */
async function play (card: Uint8Array, content: CardContent, seeders: Peer[], killAtHalf: boolean): Promise<{ startupMs: number, stalls: number, stallMs: number[], sha: string }> {
  const p = await peer()
  const msPerSlice = content.sliceSize / BITRATE * 1000
  const swarm = swarmFor(p, card, content, seeders, msPerSlice)
  const info = await swarm.card(card)
  const hash = createHash('sha256')
  const t0 = performance.now()
  let playStart = -1
  let stalled = 0
  const stallMs: number[] = []
  let received = 0
  let killed = false
  for await (const part of swarm.read(info, 0, content.size - 1)) {
    const now = performance.now()
    if (playStart < 0) playStart = now
    // When playback would have reached byte `received`, had it never stalled since.
    const due = playStart + stalled + received / BITRATE * 1000
    if (now > due + 1) { stallMs.push(now - due); stalled += now - due }
    received += part.length
    hash.update(part)
    if (killAtHalf && !killed && received >= content.size / 2) {
      killed = true
      await seeders[0]!.stop()
    }
    // Keep at most 4 s of media buffered, as a player's read-ahead would.
    const ahead = playStart + stalled + received / BITRATE * 1000 - performance.now()
    if (ahead > 4_000) await new Promise(resolve => setTimeout(resolve, ahead - 4_000))
  }
  swarm.stop()
  await p.stop()
  return { startupMs: playStart - t0, stalls: stallMs.length, stallMs, sha: hash.digest('hex') }
}

/** A folio seeder in a child process (bench/swarmSeeder.ts) holding `data`, as WebTorrent's two-process row. */
async function childSeeder (data: Uint8Array): Promise<{ card: Uint8Array, content: CardContent, address: SeederAddress, pid: number, gc: () => Promise<GcTotals>, stop: () => Promise<void> }> {
  const child = fork(join(process.cwd(), 'bench', 'swarmSeeder.ts'), [], { execArgv: [...process.execArgv, ...NODE_V8_FLAGS], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = new Promise(resolve => { child.once('exit', resolve) })
  const ready = await new Promise<{ card: Uint8Array, content: CardContent, address: SeederAddress, error?: string }>((resolve, reject) => {
    child.once('message', resolve as (m: unknown) => void)
    child.once('error', reject)
    child.once('exit', code => { reject(new Error(`folio seeder process exited (${String(code)})`)) })
    child.send({ data, key: KEY })
  })
  if (ready.error != null) throw new Error(`folio seeder process: ${ready.error}`)
  return { ...ready, pid: child.pid!, gc: async () => await ask<GcTotals>(child, { gc: true }, 'folio seeder process'), stop: async () => { child.send({ stop: true }); await exited } }
}

interface WebTorrentRun { mbps: number, firstPieceMs: number, ms: number, pieceLength: number, pieces: number, layout: string }
type WebTorrentLayout = 'one-process' | 'two-process'

/** What the own-processes layout gets from bench/peers/webtorrent.mjs: its two processes, and a transfer between them. */
interface WebTorrentOwn { seederPid: number, downloaderPid: number, seederGc: () => Promise<GcTotals>, download: () => Promise<{ mbps: number, ms: number, cpuMs: number, gcMs: number }>, close: () => Promise<void> }
interface WebTorrentModule {
  singleSeeder: (d: Uint8Array, o: { layout: WebTorrentLayout }) => Promise<WebTorrentRun>
  ownProcesses: (d: Uint8Array) => Promise<WebTorrentOwn>
}

/** bench/peers/webtorrent.mjs, or why it cannot run (the rows then show that string). */
async function loadWebTorrent (): Promise<WebTorrentModule | string> {
  const dir = join(process.cwd(), 'bench', 'peers')
  if (!existsSync(join(dir, 'node_modules', 'webtorrent'))) return 'not installed (npm --prefix bench/peers install)'
  try {
    return await import(pathToFileURL(join(dir, 'webtorrent.mjs')).href)
  } catch (err) {
    return `unavailable: ${errorMessage(err)}`
  }
}

/** One seeder to one downloader over TCP on loopback; a string when it cannot run. */
async function webtorrent (data: Uint8Array, layout: WebTorrentLayout): Promise<WebTorrentRun | string> {
  const mod = await loadWebTorrent()
  if (typeof mod === 'string') return mod
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<string>(resolve => { timer = setTimeout(() => { resolve('timed out after 120 s') }, 120_000) })
  try {
    return await Promise.race([mod.singleSeeder(data, { layout }), timeout])
  } catch (err) {
    return `failed: ${errorMessage(err)}`
  } finally {
    clearTimeout(timer)
  }
}

/**
 * One transfer in the "own processes" layout: MB/s, ms, CPU of both processes and the downloader's GC
 * pauses during it; `otherCores`: the machine's busy CPU meanwhile not spent by this process or the
 * transfer's two, per second of wall clock from the request to the downloader's answer (0 on an
 * idle machine, 2 when other work filled both cores); `seederMajorGcs`: full garbage collections in the
 * seeder process during it (decision 0014: a seeder that runs them back to back spends twice the
 * CPU per transfer); `stealCores`: the hypervisor's steal time
 * per second of the same interval (this machine is a virtual one).
 */
interface OwnTransfer { mbps: number, ms: number, cpuMs: number, gcMs: number, seederCpuMs: number, seederMajorGcs: number, otherCores: number, stealCores: number }
/** Both systems' transfers in the "own processes" layout; a string when a system could not run. */
interface OwnRun { transfers: number, folio: OwnTransfer[] | string, webtorrent: OwnTransfer[] | string }

/** Sends `msg` to a child and waits for its one answer (an `error` field fails). */
async function ask<T> (child: ChildProcess, msg: unknown, who: string): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null): void => { reject(new Error(`${who} exited (${String(code)})`)) }
    child.once('exit', onExit)
    child.once('message', (r: T & { error?: string }) => {
      child.off('exit', onExit)
      if (r.error != null) reject(new Error(`${who}: ${r.error}`)); else resolve(r)
    })
    child.send(msg as Serializable)
  })
}

/**
 * Each system in processes of its own: folio's seeder (bench/swarmSeeder.ts) and downloader
 * (bench/swarmDownloader.ts) in two fresh child processes, WebTorrent's seeder and downloader in two
 * more (bench/peers/webtorrent.mjs, `ownProcesses`). This process only asks for transfers and
 * reads the children's CPU time. Each system makes TRANSFERS downloads of the same content from
 * its one seeder, each with a fresh peer or client in its downloader process; the two systems'
 * transfers alternate A B B A … so that the machine's load falls on both alike.
 */
async function ownProcesses (data: Uint8Array): Promise<OwnRun> {
  const out: OwnRun = { transfers: TRANSFERS, folio: [], webtorrent: [] }
  const seeder = await childSeeder(data)
  const downloader = fork(join(process.cwd(), 'bench', 'swarmDownloader.ts'), [], { execArgv: [...process.execArgv, ...NODE_V8_FLAGS], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const downloaderExited = new Promise(resolve => { downloader.once('exit', resolve) })
  let wt: WebTorrentOwn | undefined
  const mod = await loadWebTorrent()
  if (typeof mod === 'string') out.webtorrent = mod
  else {
    try {
      wt = await mod.ownProcesses(data)
    } catch (err) {
      out.webtorrent = `unavailable: ${errorMessage(err)}`
    }
  }
  const measured = async (seederPid: number, downloaderPid: number, seederGc: () => Promise<GcTotals>, transfer: () => Promise<{ mbps: number, ms: number, cpuMs: number, gcMs: number }>): Promise<OwnTransfer> => {
    const g0 = await seederGc()
    const s0 = cpuSecondsOf(seederPid)
    const d0 = cpuSecondsOf(downloaderPid)
    const m0 = machineCpuSeconds()
    const c0 = process.cpuUsage()
    const w0 = performance.now()
    const r = await transfer()
    // Over the whole request (the downloader's setup and teardown too), at /proc's 10 ms resolution.
    const wallMs = performance.now() - w0
    const c = process.cpuUsage(c0)
    const seederCpuMs = (cpuSecondsOf(seederPid) - s0) * 1000
    const g1 = await seederGc()
    const m1 = machineCpuSeconds()
    const othersMs = (m1.busy - m0.busy - (cpuSecondsOf(downloaderPid) - d0)) * 1000 - seederCpuMs - (c.user + c.system) / 1000
    return { mbps: r.mbps, ms: r.ms, cpuMs: r.cpuMs, gcMs: r.gcMs, seederCpuMs, seederMajorGcs: g1.major - g0.major, otherCores: Math.max(0, othersMs) / wallMs, stealCores: (m1.steal - m0.steal) * 1000 / wallMs }
  }
  const folioOnce = async (): Promise<OwnTransfer> => await measured(seeder.pid, downloader.pid!, seeder.gc, async () =>
    await ask(downloader, { download: { card: seeder.card, content: seeder.content, address: seeder.address, key: KEY } }, 'folio downloader process'))
  const wtOnce = async (): Promise<OwnTransfer> => await measured(wt!.seederPid, wt!.downloaderPid, wt!.seederGc, wt!.download)
  const show = (t: OwnTransfer): string => `${t.mbps.toFixed(1)} MB/s, CPU ${t.cpuMs.toFixed(0)} ms downloader (GC ${t.gcMs.toFixed(0)}) / ${t.seederCpuMs.toFixed(0)} ms seeder (${t.seederMajorGcs} full GCs), other work ${t.otherCores.toFixed(2)} cores, steal ${t.stealCores.toFixed(2)}`
  try {
    for (let i = 0; i < TRANSFERS; i++) {
      const order = i % 2 === 0 ? ['folio', 'webtorrent'] as const : ['webtorrent', 'folio'] as const
      for (const system of order) {
        if (system === 'folio') {
          const t = await folioOnce()
          ;(out.folio as OwnTransfer[]).push(t)
          step(`own processes, folio transfer ${i + 1}: ${show(t)}`)
        } else if (wt != null && typeof out.webtorrent !== 'string') {
          try {
            const t = await wtOnce()
            out.webtorrent.push(t)
            step(`own processes, WebTorrent transfer ${i + 1}: ${show(t)}`)
          } catch (err) {
            out.webtorrent = `failed: ${errorMessage(err)}`
          }
        }
      }
    }
  } catch (err) {
    out.folio = `failed: ${errorMessage(err)}`
  } finally {
    if (downloader.connected) downloader.send({ stop: true })
    await downloaderExited
    await seeder.stop()
    await wt?.close()
  }
  return out
}

/** The table rows of the "own processes" layout. */
function ownRows (own: OwnRun): Array<[string, string | number]> {
  const rest = (xs: OwnTransfer[], f: (t: OwnTransfer) => number): number => median(xs.slice(1).map(f))
  // The later half shows each system once its processes are warm: V8 optimizes folio's per-slice
  // functions only after a few transfers (docs/swarm.md, "Warm-up").
  const later = (xs: OwnTransfer[], f: (t: OwnTransfer) => number): number => median(xs.slice(Math.floor(xs.length / 2)).map(f))
  const laterRange = `transfers ${Math.floor(TRANSFERS / 2) + 1}–${TRANSFERS}`
  const laterRow = (xs: OwnTransfer[] | string): string => typeof xs === 'string' ? 'n/a' : later(xs, t => t.mbps).toFixed(1)
  const ownRow = (xs: OwnTransfer[] | string): string => typeof xs === 'string' ? xs : `${xs[0]!.mbps.toFixed(1)} / ${rest(xs, t => t.mbps).toFixed(1)} (${xs.map(t => t.mbps.toFixed(0)).join(', ')})`
  const ownRatio = (f: (xs: OwnTransfer[]) => number): string | number => typeof own.folio === 'string' || typeof own.webtorrent === 'string' || own.webtorrent.length === 0 ? 'n/a' : f(own.folio) / f(own.webtorrent)
  const ownCpu = (xs: OwnTransfer[] | string): string => typeof xs === 'string' ? 'n/a' : `${rest(xs, t => t.cpuMs).toFixed(0)} / ${rest(xs, t => t.seederCpuMs).toFixed(0)} (downloader's GC ${rest(xs, t => t.gcMs).toFixed(0)})`
  const majorGcs = (xs: OwnTransfer[] | string): string => typeof xs === 'string' ? 'n/a' : `${rest(xs, t => t.seederMajorGcs)} (${xs.map(t => t.seederMajorGcs).join(', ')})`
  const others = (xs: OwnTransfer[] | string, f: (t: OwnTransfer) => number): string => typeof xs === 'string' ? 'n/a' : `${median(xs.map(f)).toFixed(2)} (max ${Math.max(...xs.map(f)).toFixed(2)})`
  return [
    ['own processes: each system\'s seeder and downloader in fresh processes of their own, transfers each (alternated)', String(TRANSFERS)],
    ['folio, own processes: first / median of the rest (MB/s; all)', ownRow(own.folio)],
    ['WebTorrent, own processes: first / median of the rest (MB/s; all)', ownRow(own.webtorrent)],
    ['folio / WebTorrent, own processes, first transfers', ownRatio(xs => xs[0]!.mbps)],
    ['folio / WebTorrent, own processes, median of the rest', ownRatio(xs => rest(xs, t => t.mbps))],
    [`folio / WebTorrent MB/s, own processes, median of the later half (${laterRange})`, `${laterRow(own.folio)} / ${laterRow(own.webtorrent)}`],
    [`folio / WebTorrent, own processes, median of the later half (${laterRange})`, ownRatio(xs => later(xs, t => t.mbps))],
    ['folio, own processes: CPU per transfer, downloader / seeder (ms, median of the rest)', ownCpu(own.folio)],
    ['WebTorrent, own processes: CPU per transfer, downloader / seeder (ms, median of the rest)', ownCpu(own.webtorrent)],
    ['full GCs in the seeder process per transfer, folio / WebTorrent (median of the rest; all)', `${majorGcs(own.folio)} / ${majorGcs(own.webtorrent)}`],
    ['other work on the machine during folio / WebTorrent transfers (cores, median)', `${others(own.folio, t => t.otherCores)} / ${others(own.webtorrent, t => t.otherCores)}`],
    ['hypervisor steal during folio / WebTorrent transfers (cores, median)', `${others(own.folio, t => t.stealCores)} / ${others(own.webtorrent, t => t.stealCores)}`]
  ]
}

const wtShow = (r: WebTorrentRun | string): string => typeof r === 'string' ? r : `${r.mbps.toFixed(1)} MB/s, first piece ${r.firstPieceMs.toFixed(0)} ms`

async function main (): Promise<void> {
  const data = randomContent(MIB * 1024 * 1024)
  const sha = createHash('sha256').update(data).digest('hex')
  // First, while this process holds nothing but the content: it only asks the children for transfers.
  const own = await ownProcesses(data)
  if (process.argv.includes('--own-only')) {
    printTable('slice swarm on loopback, each system in its own processes', [['content', `${MIB} MiB`], ...ownRows(own)])
    const path = await writeResults('swarm-own', { mib: MIB, ownProcesses: own })
    process.stdout.write(`\nresults: ${path}\n`)
    return
  }
  const origin = await peer()
  const { card, content } = await publishInto(origin.store, data, KEY)
  const s2 = await peer()
  const s3 = await peer()
  await swarmFor(s2, card, content, [origin]).fetch(card)
  await swarmFor(s3, card, content, [origin]).fetch(card)

  const remote = await childSeeder(data)
  step('seeders ready')
  const one: number[] = []
  const oneRemote: number[] = []
  const three: number[] = []
  const wt: Array<WebTorrentRun | string> = []
  const wt2: Array<WebTorrentRun | string> = []
  for (let i = 0; i < RUNS; i++) {
    one.push(await bulk(card, content, [origin]))
    step(`1 seeder: ${one.at(-1)!.toFixed(1)} MB/s`)
    oneRemote.push(await bulk(remote.card, remote.content, [remote.address]))
    step(`1 seeder in a child process: ${oneRemote.at(-1)!.toFixed(1)} MB/s`)
    three.push(await bulk(card, content, [origin, s2, s3]))
    step(`3 seeders: ${three.at(-1)!.toFixed(1)} MB/s`)
    wt.push(await webtorrent(data, 'one-process'))
    step(`WebTorrent, 1 seeder, one process: ${wtShow(wt.at(-1)!)}`)
    wt2.push(await webtorrent(data, 'two-process'))
    step(`WebTorrent, 1 seeder, seeder in a child process: ${wtShow(wt2.at(-1)!)}`)
  }
  await remote.stop()
  const fb: number[] = []
  const fbWarm: number[] = []
  for (let i = 0; i < RUNS; i++) {
    // Spaced out: libp2p refuses more than five inbound connections a second from one address.
    fb.push(await firstByte(card, content, [origin, s2, s3], Math.floor(content.size * i / RUNS)))
    await new Promise(resolve => setTimeout(resolve, 1_000))
    fbWarm.push(await firstByte(card, content, [origin, s2, s3], Math.floor(content.size * (i + 0.5) / RUNS), true))
    await new Promise(resolve => setTimeout(resolve, 1_000))
  }

  // Rate-limited seeders: each uploads at the bitrate, so three give 3x and two give 2x.
  const limited = [await peer(BITRATE), await peer(BITRATE), await peer(BITRATE)]
  for (const s of limited) await swarmFor(s, card, content, [origin]).fetch(card)
  step(`first byte: cold ${fb.map(x => x.toFixed(1)).join(', ')} ms, warm ${fbWarm.map(x => x.toFixed(1)).join(', ')} ms`)
  const steady = await play(card, content, limited, false)
  step(`steady play: ${steady.stalls} stalls`)
  const kill = await play(card, content, limited, true)
  if (steady.sha !== sha || kill.sha !== sha) throw new Error('played bytes differ from the content')

  const ok = (xs: Array<WebTorrentRun | string>): WebTorrentRun[] => xs.filter((x): x is WebTorrentRun => typeof x !== 'string')
  const wtNums = ok(wt).map(r => r.mbps)
  const wt2Nums = ok(wt2).map(r => r.mbps)
  const wtFirst = ok(wt).map(r => r.firstPieceMs)
  const failure = (xs: Array<WebTorrentRun | string>): string => String(xs.find(x => typeof x === 'string'))
  const rows: Array<[string, string | number]> = [
    ['content', `${MIB} MiB, ${content.sliceCount} slices of ${content.sliceSize / 1024} KiB`],
    ...ownRows(own),
    ['bulk, 1 seeder (MB/s, median)', median(one)],
    ['bulk, 3 seeders (MB/s, median)', median(three)],
    ['WebTorrent 2.8.5, 1 seeder, one process (MB/s, median)', wtNums.length > 0 ? median(wtNums) : failure(wt)],
    ['WebTorrent, first piece (ms, median)', wtFirst.length > 0 ? median(wtFirst) : 'n/a'],
    ['folio / WebTorrent (1 seeder, same layout)', wtNums.length > 0 ? median(one) / median(wtNums) : 'n/a'],
    ['bulk, 1 seeder in a child process (MB/s, median)', median(oneRemote)],
    ['WebTorrent, seeder in a child process (MB/s, median)', wt2Nums.length > 0 ? median(wt2Nums) : failure(wt2)],
    ['folio / WebTorrent (seeder in a child process, same layout)', wt2Nums.length > 0 ? median(oneRemote) / median(wt2Nums) : 'n/a'],
    ['first decrypted byte, 3 seeders, cold peer (ms, median)', median(fb)],
    ['first decrypted byte, connections already open (ms, median)', median(fbWarm)],
    ['player bitrate (Mbit/s)', BITRATE * 8 / 1e6],
    ['3 seeders at 1x each: start-up (ms)', steady.startupMs],
    ['3 seeders at 1x each: stalls', `${steady.stalls} (${steady.stallMs.map(s => s.toFixed(0)).join(', ') || 'none'} ms)`],
    ['one killed halfway: start-up (ms)', kill.startupMs],
    ['one killed halfway: stalls', `${kill.stalls} (${kill.stallMs.map(s => s.toFixed(0)).join(', ') || 'none'} ms)`]
  ]
  printTable('slice swarm on loopback', rows)
  const path = await writeResults('swarm', { mib: MIB, runs: RUNS, oneSeederMBps: one, oneSeederChildMBps: oneRemote, threeSeedersMBps: three, webtorrent: { version: '2.8.5', transport: 'tcp 127.0.0.1, no dht/lsd/tracker/utp/webrtc', oneProcess: wt, seederInChild: wt2 }, ownProcesses: own, firstByteMs: fb, firstByteWarmMs: fbWarm, bitrateMbps: BITRATE * 8 / 1e6, steady, killHalfway: kill })
  process.stdout.write(`\nresults: ${path}\n`)
}

main().catch((err) => { console.error(err); process.exitCode = 1 }).finally(async () => {
  await Promise.all(peers.map(async p => { await p.stop().catch(() => {}) }))
})
