/**
 * Benchmark of the state commitment (MISSION.md §4): build 1,000,000 keys in a LevelStore, then
 * time `update` of 5,000 dirty keys (60% modified, 25% inserted, 15% deleted) with every bucket
 * cached and with a small cache that reads buckets back from LevelDB; also open-from-store time
 * and RSS. Prints a table and writes bench/results/commitment.json.
 *
 *   node --import ./src/polyfill.js --import tsx bench/commitment.ts [keys] [runs]
 *
 * The state is built in a child process, so the RSS reported is that of a node that opened an
 * existing store, not the high-water mark of building it.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StateCommitment } from '../src/state/commitment/index.js'
import { LevelStore } from '../src/state/store.js'
import { seededRandom } from '../test/helpers/prng.js'

const BUILD = process.argv[2] === 'build'
const KEYS = Number(process.argv[BUILD ? 4 : 2] ?? 1_000_000)
const RUNS = Math.max(7, Number(process.argv[3] ?? 11))
const DIRTY = 5_000
const BUILD_CHUNK = 200_000
const PREFIX = new TextEncoder().encode('sc/')
const SMALL_CACHE = 4 * 1024 * 1024


const random = seededRandom(0xf011a)
const keyOf = (i: number): Uint8Array => new TextEncoder().encode(`acct/${i.toString(36).padStart(8, '0')}/balance`)
function valueOf (): Uint8Array {
  const v = new Uint8Array(40)
  for (let i = 0; i < v.length; i++) v[i] = (random() * 256) | 0
  return v
}

const live: number[] = []
let nextKey = 0

function * dirtyChanges (): Generator<[Uint8Array, Uint8Array | null]> {
  for (let n = 0; n < DIRTY; n++) {
    const r = random()
    if (r < 0.25 || live.length === 0) {
      live.push(nextKey)
      yield [keyOf(nextKey++), valueOf()]
      continue
    }
    const at = (random() * live.length) | 0
    const index = live[at]
    if (r < 0.85) {
      yield [keyOf(index), valueOf()]
    } else {
      live[at] = live[live.length - 1]
      live.pop()
      yield [keyOf(index), null]
    }
  }
}

function summary (ms: number[]): { median: number, p90: number, min: number, max: number } {
  const s = [...ms].sort((a, b) => a - b)
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]
  const r = (x: number): number => Math.round(x * 10) / 10
  return { median: r(at(0.5)), p90: r(at(0.9)), min: r(s[0]), max: r(s[s.length - 1]) }
}

const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024)

interface Timings { update: number[], cpu: number[], write: number[], ops: number[] }

async function timedUpdates (sc: StateCommitment, store: LevelStore): Promise<Timings> {
  const out: Timings = { update: [], cpu: [], write: [], ops: [] }
  for (let run = 0; run <= RUNS; run++) {
    const changes = [...dirtyChanges()]
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const { ops } = await sc.update(changes)
    const t1 = performance.now()
    const c1 = process.cpuUsage(c0)
    await store.batch(ops)
    const t2 = performance.now()
    if (run === 0) continue // warm-up
    out.update.push(t1 - t0)
    // CPU time of the whole process (GC helper threads included): less sensitive than wall time
    // to other processes sharing the two cores.
    out.cpu.push((c1.user + c1.system) / 1000)
    out.write.push(t2 - t1)
    out.ops.push(ops.length)
  }
  return out
}

/** Child process: writes KEYS keys into the store at `dir`, in chunks so the build stays lean. */
async function build (dir: string): Promise<void> {
  const store = await LevelStore.open(dir)
  const sc = await StateCommitment.open(store, PREFIX)
  while (nextKey < KEYS) {
    const end = Math.min(KEYS, nextKey + BUILD_CHUNK)
    const chunk: Array<[Uint8Array, Uint8Array]> = []
    for (; nextKey < end; nextKey++) chunk.push([keyOf(nextKey), valueOf()])
    const { ops } = await sc.update(chunk)
    await store.batch(ops)
  }
  await store.close()
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'folio-bench-commitment-'))
  try {
    const tBuild = performance.now()
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'build', dir, String(KEYS)], { stdio: 'inherit' })
    if (child.status !== 0) throw new Error(`build process failed with status ${child.status}`)
    const buildMs = performance.now() - tBuild
    for (let i = 0; i < KEYS; i++) live.push(i)
    nextKey = KEYS

    const store = await LevelStore.open(dir)
    const tOpen = performance.now()
    const sc = await StateCommitment.open(store, PREFIX)
    const openMs = performance.now() - tOpen
    const memAfterOpen = process.memoryUsage()
    const stats = sc.stats()

    const cached = await timedUpdates(sc, store)
    const rssAfterUpdates = process.memoryUsage().rss

    // The same store opened with a 4 MiB bucket cache: nearly every dirty bucket is read from LevelDB.
    const small = await StateCommitment.open(store, PREFIX, { cacheBytes: SMALL_CACHE })
    if (Buffer.compare(small.root(), sc.root()) !== 0) throw new Error('reopened root differs')
    const cold = await timedUpdates(small, store)

    const rows = [
      { case: 'update 5k, all buckets cached', ...summary(cached.update) },
      { case: '  same, process CPU time', ...summary(cached.cpu) },
      { case: `update 5k, ${mib(SMALL_CACHE)} MiB cache (getMany)`, ...summary(cold.update) },
      { case: '  same, process CPU time', ...summary(cold.cpu) },
      { case: 'write ops to LevelDB (batch)', ...summary(cached.write) }
    ]
    console.log(`state commitment: ${KEYS.toLocaleString()} keys in LevelStore, ${DIRTY} dirty keys per update, ${RUNS} runs after 1 warm-up`)
    console.table(rows)
    const result = {
      keys: KEYS,
      finalKeys: small.size(),
      store: 'LevelStore (classic-level)',
      dirtyPerUpdate: DIRTY,
      runs: RUNS,
      buildMs: Math.round(buildMs),
      openMs: Math.round(openMs),
      nonEmptyBuckets: stats.nonEmptyBuckets,
      cachedBucketMiB: mib(stats.cachedBytes),
      opsPerUpdate: summary(cached.ops).median,
      memoryMiB: {
        rssAfterOpen: mib(memAfterOpen.rss),
        heapUsedAfterOpen: mib(memAfterOpen.heapUsed),
        arrayBuffersAfterOpen: mib(memAfterOpen.arrayBuffers),
        rssAfterUpdates: mib(rssAfterUpdates)
      },
      updateMs: { cached: summary(cached.update), smallCache: summary(cold.update) },
      updateCpuMs: { cached: summary(cached.cpu), smallCache: summary(cold.cpu) },
      loadAverage: loadavg(),
      writeMs: summary(cached.write),
      node: process.version
    }
    console.log(`build ${result.buildMs} ms (child process), open ${result.openMs} ms, RSS after open ${result.memoryMiB.rssAfterOpen} MiB, ` +
      `${result.nonEmptyBuckets} buckets, ~${result.opsPerUpdate} records written per update`)
    await store.close()
    await mkdir(new URL('./results/', import.meta.url), { recursive: true })
    await writeFile(new URL('./results/commitment.json', import.meta.url), JSON.stringify(result, null, 2) + '\n')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (BUILD) await build(process.argv[3])
else await main()
