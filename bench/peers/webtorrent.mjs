/**
 * WebTorrent single-seeder transfer on loopback, for bench/swarm.ts: one WebTorrent client seeds the
 * buffer from memory, a second one downloads it into memory (WebTorrent's own memory-chunk-store, so
 * the comparison measures the protocol and not the disk) over plain TCP on 127.0.0.1 (DHT, LSD,
 * trackers, web seeds, uTP, UPnP/NAT-PMP all off; WebRTC is absent: `webrtc-polyfill` is overridden
 * by the stub in ./stubs, see README.md).
 *
 * Three layouts:
 *   - 'one-process': seeder and downloader clients both in the calling process (the layout of
 *     folio's own bulk figures in bench/swarm.ts, where every peer runs in the bench process);
 *   - 'two-process': the seeder runs in a child process (`node webtorrent.mjs --seeder`, data sent
 *     over IPC before the clock starts), the downloader in the calling process;
 *   - 'own-processes' (`ownProcesses`): seeder and downloader each in a child process of their own
 *     (`--seeder`, `--downloader`), plain node, so the calling process runs none of WebTorrent's
 *     transfer code; the caller asks for each download, which lets it alternate them with folio's.
 *
 * The clock runs from `client.add(magnetURI)` on the downloader until its torrent is `done`, so it
 * covers the metadata exchange (ut_metadata) as well as the pieces; the downloaded bytes are compared
 * with the input afterwards. Returns MB/s (1e6 bytes), time to the first verified piece and more.
 *
 * Install: npm --prefix bench/peers install     Standalone: node bench/peers/webtorrent.mjs [--mib 64]
 */
import { fork } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import MemoryChunkStore from 'memory-chunk-store'
import WebTorrent from 'webtorrent'

const OPTS = { dht: false, tracker: false, lsd: false, webSeeds: false, utp: false, natUpnp: false, natPmp: false }
const SELF = fileURLToPath(import.meta.url)

/** Milliseconds this process has spent in garbage collection pauses so far, and its full (mark-compact) collections. */
let gcMs = 0
let majorGcs = 0
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration
    if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++
  }
}).observe({ entryTypes: ['gc'] })

/** @returns {Promise<{ mbps: number, firstPieceMs: number, ms: number, pieceLength: number, pieces: number, layout: string }>} */
export async function singleSeeder (data, { layout = 'one-process' } = {}) {
  if (layout !== 'one-process' && layout !== 'two-process') throw new Error(`unknown layout ${layout}`)
  const seeder = layout === 'one-process' ? await seedHere(data) : await seedInChild(data)
  try {
    const expected = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    const r = await leech(seeder, (got) => got.length === expected.length && Buffer.compare(got, expected) === 0)
    return { ...r, layout }
  } finally {
    await seeder.close()
  }
}

/**
 * One download from `seeder` ({ magnetURI, port }) by a fresh client into memory; `check(bytes)`
 * must accept the downloaded bytes (after the clock). Also returns this process's CPU time (user +
 * system, all threads) and garbage-collection pauses during the transfer.
 */
async function leech (seeder, check) {
  const leecher = new WebTorrent(OPTS)
  try {
    let firstPieceMs = -1
    let torrent
    const cpu0 = process.cpuUsage()
    const gc0 = gcMs
    const t0 = performance.now()
    await new Promise((resolve, reject) => {
      leecher.on('error', reject)
      torrent = leecher.add(seeder.magnetURI, { store: MemoryChunkStore, announce: [] })
      torrent.on('error', reject)
      torrent.on('infoHash', () => { torrent.addPeer(`127.0.0.1:${seeder.port}`) })
      torrent.once('verified', () => { firstPieceMs = performance.now() - t0 })
      torrent.on('done', resolve)
    })
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    await new Promise(resolve => setImmediate(resolve)) // GC entries are delivered after the fact
    const gc = gcMs - gc0
    const got = Buffer.concat(torrent.store.store.chunks) // ImmediateChunkStore → memory-chunk-store
    if (!check(got)) throw new Error('WebTorrent downloaded bytes differ from the input')
    return { mbps: got.length / 1e6 / (ms / 1000), firstPieceMs, ms, cpuMs: (cpu.user + cpu.system) / 1000, gcMs: gc, pieceLength: torrent.pieceLength, pieces: torrent.pieces.length }
  } finally {
    await new Promise(resolve => { leecher.destroy(resolve) })
  }
}

/**
 * Layout 'own-processes': a seeder in one child process and a downloader in another, both plain
 * `node` running only this file (no loader flags, nothing of folio). The seeder starts once and
 * serves every download; each `download()` has the downloader child make one transfer with a fresh
 * client, as `singleSeeder` does. The caller decides how many transfers to make and when, so it
 * can alternate them with another system's.
 */
export async function ownProcesses (data) {
  const seeder = await seedInChild(data, [])
  const downloader = fork(SELF, ['--downloader'], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const downloaderExited = new Promise(resolve => { downloader.once('exit', resolve) })
  const sha256 = createHash('sha256').update(data).digest('hex')
  return {
    seederPid: seeder.pid,
    downloaderPid: downloader.pid,
    seederGc: seeder.gc,
    download: () => new Promise((resolve, reject) => {
      const onExit = (code) => { reject(new Error(`WebTorrent downloader process exited (${code})`)) }
      downloader.once('exit', onExit)
      downloader.once('message', (r) => {
        downloader.off('exit', onExit)
        if (r.error != null) reject(new Error(`WebTorrent downloader: ${r.error}`))
        else resolve({ ...r, layout: 'own-processes' })
      })
      downloader.send({ download: { magnetURI: seeder.magnetURI, port: seeder.port, sha256 } })
    }),
    close: async () => {
      if (downloader.connected) downloader.send({ stop: true })
      await downloaderExited
      await seeder.close()
    }
  }
}

/** Back-compat: MB/s only, one process. */
export async function singleSeederMBps (data) {
  return (await singleSeeder(data)).mbps
}

async function seedHere (data) {
  const client = new WebTorrent(OPTS)
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  buf.name = 'bench.bin'
  const seeded = await new Promise((resolve, reject) => {
    client.on('error', reject)
    client.seed(buf, { name: 'bench.bin', announce: [], store: MemoryChunkStore }, resolve)
  })
  await new Promise(resolve => { if (client.listening) resolve(); else client.once('listening', resolve) })
  return {
    magnetURI: seeded.magnetURI,
    port: client.address().port,
    close: () => new Promise(resolve => { client.destroy(resolve) })
  }
}

/** A seeder in a child process; `execArgv` undefined: the calling process's flags (fork's default). */
async function seedInChild (data, execArgv) {
  const child = fork(SELF, ['--seeder'], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = new Promise(resolve => { child.once('exit', resolve) })
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('error', reject)
    child.once('exit', code => { reject(new Error(`WebTorrent seeder process exited (${code})`)) })
    child.send({ data })
  })
  if (ready.error != null) throw new Error(`WebTorrent seeder: ${ready.error}`)
  return {
    magnetURI: ready.magnetURI,
    port: ready.port,
    pid: child.pid,
    /** The seeder's GC so far: { major, ms } (see the --seeder branch). */
    gc: () => new Promise((resolve) => { child.once('message', resolve); child.send({ gc: true }) }),
    close: async () => { child.send({ stop: true }); await exited }
  }
}

if (process.argv[1] === SELF) {
  if (process.argv.includes('--seeder')) {
    // Child: seed whatever the parent sends, report magnet and port, stop when told.
    let seeder
    process.on('message', async (msg) => {
      if (msg.data != null) {
        try {
          seeder = await seedHere(msg.data)
          process.send({ magnetURI: seeder.magnetURI, port: seeder.port })
        } catch (err) { process.send({ error: String(err?.message ?? err) }) }
      } else if (msg.gc) {
        // GC entries are delivered after the fact: let them in first.
        await new Promise(resolve => setImmediate(resolve))
        process.send({ major: majorGcs, ms: gcMs })
      } else if (msg.stop) {
        await seeder?.close()
        process.disconnect()
      }
    })
  } else if (process.argv.includes('--downloader')) {
    // Child: one download per message from the seeder it names, bytes checked against its SHA-256.
    process.on('message', async (msg) => {
      if (msg.download != null) {
        try {
          const { magnetURI, port, sha256 } = msg.download
          process.send(await leech({ magnetURI, port }, (got) => createHash('sha256').update(got).digest('hex') === sha256))
        } catch (err) { process.send({ error: String(err?.message ?? err) }) }
      } else if (msg.stop) {
        process.disconnect()
      }
    })
  } else {
    const i = process.argv.indexOf('--mib')
    const mib = i >= 0 ? Number(process.argv[i + 1]) : 64
    const data = new Uint8Array(randomBytes(mib * 1024 * 1024))
    for (const layout of ['one-process', 'two-process']) {
      const r = await singleSeeder(data, { layout })
      console.log(`${layout}: ${r.mbps.toFixed(1)} MB/s, first piece ${r.firstPieceMs.toFixed(0)} ms, ${r.pieces} pieces of ${r.pieceLength / 1024} KiB`)
    }
  }
}
