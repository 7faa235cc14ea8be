/**
 * Feed benchmark, in two processes run one after the other:
 *
 * 1. The loader loads N cards (default 100,000) with mixed kinds, tags, creators, prices,
 *    replies, reactions, views and follows into a LevelDB chain through real block commits, and
 *    exits. It reports indexing throughput (cards/s: whole commits, and the feed indexer's own
 *    share), memory by stage and its peak RSS.
 * 2. The serving node, a fresh process, reopens that data folder as a restarted node would
 *    (chain, feed index, JSON-RPC server) and answers `feed_query` over HTTP for a representative
 *    mix of filters and sorts, first to a client in this bench's first process (so that the
 *    serving node's RSS, taken next, is the node's alone), then again to a client inside the
 *    serving process (as bench runs before 2026-11-21 did). It reports p50/p99 per query shape
 *    and overall for both, the serving node's RSS, and an in-process time breakdown per shape.
 *
 * Writes bench/results/feed.json.
 *
 *   node --import ./src/polyfill.js --import tsx bench/feed.ts        (FEED_BENCH_CARDS=20000 for a quick run)
 *
 * FEED_BENCH_DATA=DIR keeps the loaded folder in DIR and, when DIR already holds a load, skips
 * the loader (the serving node rebuilds the feed index first if its layout version is older).
 */
import { mkdtemp, rm, mkdir, writeFile, readFile, access } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { tmpdir, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { sha256, accountFromSecretKey, encodeAddress, type Account } from '../src/crypto/index.js'
import { toHex, utf8, concatBytes } from '../src/codec/index.js'
import { signTx, merkleRoot, txId, encodeTx, publishBody, CARD_KINDS, REACTIONS } from '../src/blocks/index.js'
import type { Tx, Block } from '../src/blocks/types.js'
import {
  Chain, LevelStore, type LevelOptions, DEFAULT_PARAMS, minFee, FeedIndex, cursorSecret, runFeedQuery, type Genesis, type KVStore, type RangeOptions, type BatchOp, type FeedSort
} from '../src/state/index.js'
import { RpcServer } from '../src/rpc/server.js'
import { feedMethods, parseFilter, cardsJSON } from '../src/rpc/methods/feed.js'
import { createLogger } from '../src/node/logger.js'
import { seededRandom } from '../test/helpers/prng.js'

const CARDS = Number(process.env.FEED_BENCH_CARDS ?? 100_000)
const ACCOUNTS = 1_000
const PER_BLOCK = Number(process.env.FEED_BENCH_PER_BLOCK ?? 2_000)
const CHAIN_ID = 'folio-bench-1'
const QUERY_ROUNDS = Number(process.env.FEED_BENCH_ROUNDS ?? 40)
/** State read-cache entries and feed doc-cache entries; unset = the node's defaults. */
const STATE_CACHE = process.env.FEED_BENCH_STATE_CACHE === undefined ? undefined : Number(process.env.FEED_BENCH_STATE_CACHE)
const BREAKDOWN_ROUNDS = Number(process.env.FEED_BENCH_BREAKDOWN_ROUNDS ?? 20)
const DOC_CACHE = process.env.FEED_BENCH_DOC_CACHE === undefined ? undefined : Number(process.env.FEED_BENCH_DOC_CACHE)
/** LevelDB options over the node's defaults (JSON, e.g. '{"maxOpenFiles":1000}'), for A/B runs. */
const LEVEL: LevelOptions = JSON.parse(process.env.FEED_BENCH_LEVEL ?? '{}')

let rand = seededRandom(0x5eed)
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]
/** Zipf-ish pick: low indexes far more often, as real tags and words are. */
const skewed = <T>(xs: readonly T[]): T => xs[Math.floor(xs.length * rand() ** 3)]
const skewedIndex = (n: number): number => Math.floor(n * rand() ** 3)

const WORDS = Array.from({ length: 3_000 }, (_, i) => `w${i.toString(36)}x`)
const TAGS = Array.from({ length: 300 }, (_, i) => `tag${i}`)
const accounts: Account[] = Array.from({ length: ACCOUNTS }, (_, i) => accountFromSecretKey(sha256(utf8(`feed bench ${i}`))))
const nonces = new Array<bigint>(ACCOUNTS).fill(0n)
const FEE = minFee(DEFAULT_PARAMS, 4_096)

function tx (from: number, type: string, body: Record<string, unknown>): Tx {
  const a = accounts[from]
  return signTx({ type, chainId: CHAIN_ID, from: a.publicKey, nonce: nonces[from]++, fee: FEE, body }, a.secretKey)
}

function block (chain: Chain, txs: Tx[]): Block {
  const head = chain.head()
  return {
    header: {
      chainId: CHAIN_ID, height: head.height + 1, time: head.time + 1000, prevHash: head.hash, txRoot: merkleRoot(txs.map(txId)),
      stateRoot: head.stateRoot, validatorsHash: new Uint8Array(32), proposer: chain.validators(head.height + 1)[0].address, lastCommitHash: new Uint8Array(32)
    },
    txs,
    lastCommit: null
  }
}

const MB = (n: number): number => Math.round(n / 2 ** 20)

/** Where memory is at a stage: JS heap, external (Buffers and typed arrays) and the rest of RSS (native). */
function memoryAt (stage: string, chain?: Chain): Record<string, unknown> {
  // with --expose-gc the heap figures are live data, not garbage awaiting collection
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) gc()
  const m = process.memoryUsage()
  const row: Record<string, unknown> = { stage, rss: MB(m.rss), heapUsed: MB(m.heapUsed), heapTotal: MB(m.heapTotal), external: MB(m.external), arrayBuffers: MB(m.arrayBuffers), native: MB(m.rss - m.heapTotal - m.external) }
  if (chain !== undefined) {
    row.commitmentCache = MB(chain.state.commitment.stats().cachedBytes)
    row.stateCache = MB(chain.state.cacheStats().bytes)
  }
  // Linux splits RSS into anonymous memory (the process's own) and file pages mapped into it
  // (LevelDB reads its table files through mmap: page cache the kernel can drop at will)
  const split = rssSplit()
  if (split !== undefined) Object.assign(row, split)
  return row
}

function rssSplit (): { rssAnon: number, rssFile: number, rssTables: number } | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (name: string): number => Number(/^(\w+):\s+(\d+) kB$/m.exec(status.split('\n').find(l => l.startsWith(`${name}:`)) ?? '')?.[2] ?? NaN)
    return { rssAnon: Math.round(kb('RssAnon') / 1024), rssFile: Math.round(kb('RssFile') / 1024), rssTables: Math.round(tableKB() / 1024) }
  } catch {
    return undefined
  }
}

/** KiB of LevelDB table files (*.ldb) mapped into this process: the part of RssFile the node's data is. */
function tableKB (): number {
  let kb = 0
  let table = false
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) table = line.endsWith('.ldb')
    else if (table && line.startsWith('Rss:')) kb += Number(/(\d+)/.exec(line)?.[1] ?? 0)
  }
  return kb
}

/** The feed index's store, with the time spent in reads while `on` (for the stage breakdown). */
class TimedKV implements KVStore {
  on = false
  readMs = 0
  reads = 0
  constructor (private readonly kv: KVStore) {}
  private async timed<T> (f: () => Promise<T>): Promise<T> {
    if (!this.on) return await f()
    const t = performance.now()
    try { return await f() } finally { this.readMs += performance.now() - t; this.reads++ }
  }

  async get (key: Uint8Array): Promise<Uint8Array | undefined> { return await this.timed(async () => await this.kv.get(key)) }
  async getMany (keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> { return await this.timed(async () => await this.kv.getMany(keys)) }
  async keys (range: RangeOptions): Promise<Uint8Array[]> { return await this.timed(async () => await this.kv.keys(range)) }
  async batch (ops: BatchOp[]): Promise<void> { await this.kv.batch(ops) }
  async * iterate (range: RangeOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    let inside = 0
    const it = this.kv.iterate(range)[Symbol.asyncIterator]()
    try {
      for (;;) {
        const t0 = performance.now()
        const r = await it.next()
        inside += performance.now() - t0
        if (r.done === true) break
        yield r.value
      }
    } finally {
      await it.return?.()
      if (this.on) { this.readMs += inside; this.reads++ }
    }
  }

  async close (): Promise<void> { await this.kv.close() }
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

function makeGenesis (): Genesis {
  const validator = accountFromSecretKey(sha256(utf8('feed bench validator')))
  return {
    chainId: CHAIN_ID,
    genesisTime: 1_700_000_000_000,
    params: { ...DEFAULT_PARAMS },
    accounts: accounts.map(a => ({ address: a.address, balance: 1_000_000_000_000n })),
    validators: [{ name: 'v0', publicKey: validator.publicKey, operator: validator.address, power: 10n }]
  }
}

const peakRssMB = (): number => Math.round(process.resourceUsage().maxRSS / 1024)

/** Phase 1: commits the cards and the engagement into `dir`, then closes the store. */
async function load (dir: string): Promise<Record<string, unknown>> {
  const store = await LevelStore.open(join(dir, 'db'), LEVEL)
  const chain = await Chain.open(store, makeGenesis(), STATE_CACHE === undefined ? {} : { cacheEntries: STATE_CACHE })
  const index = new FeedIndex(chain.kv, chain.state, DOC_CACHE === undefined ? {} : { cacheDocs: DOC_CACHE })
  await index.markCurrent(0)
  const memory = [memoryAt('open', chain)]
  const probe = (stage: string): void => { memory.push(memoryAt(stage, chain)); if (process.env.FEED_BENCH_PROBE !== undefined) console.error(JSON.stringify(memory[memory.length - 1])) }
  let indexMs = 0
  if (process.env.FEED_BENCH_NOINDEX === undefined) chain.addIndexer({ name: 'feed', blockOps: async (c, o) => { const t0 = performance.now(); const ops = await index.blockOps(c, o); indexMs += performance.now() - t0; return ops } })
  chain.onBlock(b => { index.onCommitted(b) })

  // 1. cards
  const ids: Uint8Array[] = []
  let signMs = 0
  let commitMs = 0
  let bytes = 0
  for (let done = 0; done < CARDS; done += PER_BLOCK) {
    const t0 = performance.now()
    const txs: Tx[] = []
    for (let i = 0; i < Math.min(PER_BLOCK, CARDS - done); i++) {
      const creator = skewedIndex(ACCOUNTS)
      const words = Array.from({ length: 6 + Math.floor(rand() * 12) }, () => skewed(WORDS))
      const tags = Array.from(new Set(Array.from({ length: Math.floor(rand() * 4) }, () => skewed(TAGS))))
      const parent = ids.length > 100 && rand() < 0.1 ? ids[Math.floor(rand() * ids.length)] : null
      const t = tx(creator, 'card.publish', publishBody({
        kind: pick(CARD_KINDS), title: words.slice(0, 4).join(' '), body: words.join(' '), tags,
        price: rand() < 0.6 ? 0n : BigInt(1 + Math.floor(rand() * 50)) * 100_000n, parent, preview: new Uint8Array(64)
      }))
      bytes += encodeTx(t).length
      txs.push(t)
      ids.push(txId(t))
    }
    const t1 = performance.now()
    await chain.commit(block(chain, txs), null)
    signMs += t1 - t0
    commitMs += performance.now() - t1
  }
  const cardCommitMs = commitMs
  probe('cards')
  const cardIndexMs = indexMs
  if (process.env.FEED_BENCH_NOINDEX !== undefined) { console.error('no index: cards/s', Math.round(CARDS / (cardCommitMs / 1000)), 'rss', Math.round(process.memoryUsage().rss / 2 ** 20)); process.exit(0) }

  // 2. engagement: reactions, views, follows, a few mutes and flags — signed a block at a time, so
  // that the bench does not hold 170k signed transactions in memory next to the node it measures
  function * engagement (): Generator<Tx> {
    for (let i = 0; i < CARDS; i++) yield tx(Math.floor(rand() * ACCOUNTS), 'card.react', { card: skewed(ids), reaction: pick(REACTIONS) })
    for (let i = 0; i < CARDS / 2; i++) yield tx(Math.floor(rand() * ACCOUNTS), 'card.view', { card: skewed(ids) })
    for (let a = 0; a < ACCOUNTS; a++) {
      const followees = new Set<number>()
      while (followees.size < 20) { const b = skewedIndex(ACCOUNTS); if (b !== a) followees.add(b) }
      for (const b of followees) yield tx(a, 'social.follow', { account: accounts[b].address })
      if (a % 10 === 0) yield tx(a, 'social.mute', { account: accounts[(a + 1) % ACCOUNTS].address })
      if (a % 5 === 0) yield tx(a, 'card.flag', { card: skewed(ids), reason: 'spam' })
    }
  }
  let engageMs = 0
  let engageTxs = 0
  let pending: Tx[] = []
  const flush = async (): Promise<void> => { const t = performance.now(); await chain.commit(block(chain, pending), null); engageMs += performance.now() - t; engageTxs += pending.length; pending = [] }
  for (const t of engagement()) { pending.push(t); if (pending.length === PER_BLOCK) await flush() }
  if (pending.length > 0) await flush()
  probe('engagement')
  const rssLoaded = process.memoryUsage().rss
  const splitLoaded = rssSplit()
  await store.close()
  // the serving phase needs the card ids for its "replies to a card" queries
  await writeFile(join(dir, 'ids.bin'), concatBytes(...ids))
  return {
    avgCardTxBytes: Math.round(bytes / CARDS),
    indexing: {
      cardsPerSecCommit: Math.round(CARDS / (cardCommitMs / 1000)),
      cardsPerSecIndexerOnly: Math.round(CARDS / (cardIndexMs / 1000)),
      signingMs: Math.round(signMs),
      engagementTxsPerSec: Math.round(engageTxs / (engageMs / 1000))
    },
    rssMB: { afterLoad: MB(rssLoaded), ...splitLoaded, peak: peakRssMB() },
    memoryMB: memory
  }
}

type Shape = { name: string, params: () => Record<string, unknown> }

/** The query mix: the filters and sorts of MISSION.md §9, alone and combined. */
function queryShapes (ids: Uint8Array): Shape[] {
  const cards = ids.length / 32
  const idAt = (i: number): Uint8Array => ids.subarray(32 * i, 32 * i + 32)
  const addr = (i: number): string => encodeAddress(accounts[i].address)
  return [
    { name: 'new (everything)', params: () => ({ sort: 'new' }) },
    { name: 'kind video, new', params: () => ({ filter: { kind: ['video'] } }) },
    { name: 'kind image+video, top', params: () => ({ filter: { kind: ['image', 'video'] }, sort: 'top' }) },
    { name: 'free, new', params: () => ({ filter: { free: true } }) },
    { name: 'paid ≤ 1 FOL, trending', params: () => ({ filter: { maxPrice: '1000000' }, sort: 'trending' }) },
    { name: 'tag, new', params: () => ({ filter: { tags: [skewed(TAGS)] } }) },
    { name: 'tags (3), top', params: () => ({ filter: { tags: [pick(TAGS), pick(TAGS), pick(TAGS)] }, sort: 'top' }) },
    { name: 'text 1 word, new', params: () => ({ filter: { text: skewed(WORDS) } }) },
    { name: 'text 2 words, new', params: () => ({ filter: { text: `${skewed(WORDS)} ${skewed(WORDS)}` } }) },
    { name: 'creator, new', params: () => ({ filter: { creator: [addr(skewedIndex(ACCOUNTS))] } }) },
    { name: 'followedBy, new', params: () => ({ filter: { followedBy: addr(Math.floor(rand() * ACCOUNTS)) } }) },
    { name: 'followedBy, top', params: () => ({ filter: { followedBy: addr(Math.floor(rand() * ACCOUNTS)) }, sort: 'top' }) },
    { name: 'replies to a card, new', params: () => ({ filter: { parent: toHex(idAt(skewedIndex(cards))) } }) },
    { name: 'since/until window, new', params: () => { const h = 1 + Math.floor(rand() * (cards / PER_BLOCK)); return { filter: { since: h, until: h } } } },
    { name: 'muted+flagged hidden, new', params: () => { const v = addr(Math.floor(rand() * ACCOUNTS)); return { filter: { excludeMutedBy: v, hideFlaggedFor: v } } } },
    { name: 'top (everything)', params: () => ({ sort: 'top' }) },
    { name: 'trending (everything)', params: () => ({ sort: 'trending' }) },
    { name: 'seeded (everything)', params: () => ({ sort: 'seeded' }) },
    { name: 'kind text + free + tag, trending', params: () => ({ filter: { kind: ['text'], free: true, tags: [skewed(TAGS)] }, sort: 'trending' }) }
  ]
}

/** The timed HTTP queries: every shape each round, every other round also the next page. */
async function queryOverHttp (url: string, shapes: Shape[]): Promise<{ feedQuery: Record<string, number>, perQuery: Array<Record<string, unknown>> }> {
  const call = async (params: Record<string, unknown>): Promise<any> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'feed_query', params: { limit: 20, ...params } }) })
    const j: any = await res.json()
    if (j.error !== undefined) throw new Error(`${JSON.stringify(params)}: ${j.error.message}`)
    return j.result
  }
  for (const s of shapes) for (let i = 0; i < 3; i++) await call(s.params()) // warm-up
  const all: number[] = []
  const rows: Array<{ query: string, p50: number, p99: number, max: number, meanItems: number }> = []
  const perShape = new Map<string, { lat: number[], items: number }>()
  for (let r = 0; r < QUERY_ROUNDS; r++) {
    for (const s of shapes) {
      const params = s.params()
      const t0 = performance.now()
      const page = await call(params)
      // every other round also fetches the next page through the cursor
      if (r % 2 === 1 && page.cursor !== null) await call({ ...params, cursor: page.cursor })
      const ms = (performance.now() - t0) / (r % 2 === 1 && page.cursor !== null ? 2 : 1)
      const e = perShape.get(s.name) ?? { lat: [], items: 0 }
      e.lat.push(ms)
      e.items += page.items.length
      perShape.set(s.name, e)
      all.push(ms)
    }
  }
  for (const [name, e] of perShape) {
    const sorted = e.lat.sort((a, b) => a - b)
    rows.push({ query: name, p50: +percentile(sorted, 0.5).toFixed(2), p99: +percentile(sorted, 0.99).toFixed(2), max: +sorted[sorted.length - 1].toFixed(2), meanItems: +(e.items / e.lat.length).toFixed(1) })
  }
  all.sort((a, b) => a - b)
  return { feedQuery: { queries: all.length, p50: +percentile(all, 0.5).toFixed(2), p99: +percentile(all, 0.99).toFixed(2), max: +all[all.length - 1].toFixed(2) }, perQuery: rows }
}

/**
 * Phase 2, a fresh process: reopens the loaded folder as a restarted node does and serves
 * feed_query over HTTP — by default to the parent process, which runs the client, so that this
 * process's RSS is the node's alone.
 */
async function serve (dir: string): Promise<Record<string, unknown>> {
  rand = seededRandom(0x9e7e)
  const ids = await readFile(join(dir, 'ids.bin'))
  const store = await LevelStore.open(join(dir, 'db'), LEVEL)
  const chain = await Chain.open(store, makeGenesis(), STATE_CACHE === undefined ? {} : { cacheEntries: STATE_CACHE })
  const timedKv = new TimedKV(chain.kv)
  const index = new FeedIndex(timedKv, chain.state, DOC_CACHE === undefined ? {} : { cacheDocs: DOC_CACHE })
  // as the feed module does at start: an index of an older layout is rebuilt from the blocks
  const status = await index.status()
  let rebuildMs: number | undefined
  if (!status.current || status.height !== chain.head().height) {
    const t = performance.now()
    await index.rebuild(chain.blocks, chain.head().height)
    rebuildMs = Math.round(performance.now() - t)
    console.error(`feed index rebuilt in ${rebuildMs} ms`)
  }
  const memory = [memoryAt('serve: open', chain)]

  const rpc = new RpcServer({ methods: {}, log: createLogger({ level: 'silent' }), options: { port: 0, ratePerSec: 1e9, burst: 1e9 } })
  rpc.addMethods(feedMethods({ chain, index, secret: await cursorSecret(chain.kv) }))
  const url = `${await rpc.start()}/rpc`
  const shapes = queryShapes(ids)
  // the parent runs the queries and says when it is done
  const done = new Promise(resolve => process.once('message', resolve))
  process.send?.({ url })
  await done
  const rssServing = process.memoryUsage().rss
  const splitServing = rssSplit()
  const peakServing = peakRssMB()
  memory.push(memoryAt('serve: after queries', chain))
  // the same mix again from a client inside this process, as bench runs before 2026-11-21 did:
  // on a loaded 2-core machine a request then waits for one process to be scheduled, not two
  const inProcess = await queryOverHttp(url, shapes)

  // where a query's time goes, in process (no HTTP): the planner and executor (of which index
  // reads: counts, posting scans, doc loads, word checks), the card reads and JSON of the page
  const breakdown: Array<Record<string, unknown>> = []
  for (const s of shapes) {
    const query: number[] = []
    const reads: number[] = []
    const cardMs: number[] = []
    const json: number[] = []
    const plans = new Map<string, number>()
    let scanned = 0
    for (let r = 0; r < BREAKDOWN_ROUNDS; r++) {
      const params = s.params() as { filter?: unknown, sort?: FeedSort }
      const filter = parseFilter(params.filter)
      timedKv.readMs = 0
      timedKv.on = true
      const t0 = performance.now()
      const page = await runFeedQuery(index, chain.state, { filter, sort: params.sort ?? 'new', limit: 20 })
      const t1 = performance.now()
      timedKv.on = false
      const items = await cardsJSON(chain, page.docs.map(d => d.id), false)
      const t2 = performance.now()
      JSON.stringify(items)
      const t3 = performance.now()
      query.push(t1 - t0)
      reads.push(timedKv.readMs)
      cardMs.push(t2 - t1)
      json.push(t3 - t2)
      scanned += page.scanned
      const plan = page.plan.replace(/\(\d+\)/g, '')
      plans.set(plan, (plans.get(plan) ?? 0) + 1)
    }
    const med = (xs: number[]): number => +percentile(xs.sort((a, b) => a - b), 0.5).toFixed(2)
    const p99 = (xs: number[]): number => +percentile(xs.sort((a, b) => a - b), 0.99).toFixed(2)
    breakdown.push({
      query: s.name,
      plan: [...plans.entries()].sort((a, b) => b[1] - a[1]).map(([p]) => p).slice(0, 2).join(' '),
      scanned: Math.round(scanned / BREAKDOWN_ROUNDS),
      queryP50: med(query),
      queryP99: p99(query),
      indexReadsP50: med(reads),
      cardsP50: med(cardMs),
      jsonP50: med(json)
    })
  }
  await rpc.stop()
  await store.close()
  return {
    cards: ids.length / 32,
    rebuildMs,
    feedQueryInProcess: inProcess.feedQuery,
    perQueryInProcess: inProcess.perQuery,
    // the peak before the breakdown, which is this bench's own in-process work
    rssMB: { afterQueries: MB(rssServing), ...splitServing, peak: peakServing },
    memoryMB: memory,
    breakdown
  }
}

/** Runs this file again as a separate process for one phase; resolves with the phase's result. */
async function runPhase (phase: 'load' | 'serve', dir: string): Promise<Record<string, any>> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, FEED_BENCH_PHASE: phase, FEED_BENCH_DIR: dir }
  })
  const exited = new Promise<number | null>((resolve, reject) => { child.once('exit', resolve); child.once('error', reject) })
  let http: Awaited<ReturnType<typeof queryOverHttp>> | undefined
  child.once('message', (m: { url: string }) => {
    // the serving node is up: this process is its client
    rand = seededRandom(0xc11e)
    void readFile(join(dir, 'ids.bin'))
      .then(async ids => { http = await queryOverHttp(m.url, queryShapes(ids)) })
      .then(() => child.send('done'), err => { console.error(err); child.kill() })
  })
  const code = await exited
  if (code !== 0) throw new Error(`the ${phase} phase exited with code ${code}`)
  return { ...JSON.parse(await readFile(join(dir, `${phase}.json`), 'utf8')), ...http }
}

async function main (): Promise<void> {
  const phase = process.env.FEED_BENCH_PHASE
  if (phase === 'load' || phase === 'serve') {
    const dir = process.env.FEED_BENCH_DIR as string
    const result = phase === 'load' ? await load(dir) : await serve(dir)
    await writeFile(join(dir, `${phase}.json`), JSON.stringify(result))
    return
  }
  const kept = process.env.FEED_BENCH_DATA
  const dir = kept ?? await mkdtemp(join(tmpdir(), 'folio-feed-bench-'))
  await mkdir(dir, { recursive: true })
  const loaded = await access(join(dir, 'load.json')).then(() => true, () => false)
  if (loaded) console.error(`reusing the load in ${dir}`)
  const loader = loaded ? JSON.parse(await readFile(join(dir, 'load.json'), 'utf8')) : await runPhase('load', dir)
  const serving = await runPhase('serve', dir)
  console.table(serving.breakdown)
  console.table([...loader.memoryMB, ...serving.memoryMB])
  console.log('feed_query over HTTP, client in a separate process')
  console.table(serving.perQuery)
  console.log('feed_query over HTTP, client in the serving process')
  console.table(serving.perQueryInProcess)

  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cards: CARDS,
    accounts: ACCOUNTS,
    engagementTxs: { reactions: CARDS, views: CARDS / 2, follows: ACCOUNTS * 20 },
    avgCardTxBytes: loader.avgCardTxBytes,
    indexing: loader.indexing,
    feedQuery: serving.feedQuery,
    feedQueryInProcess: serving.feedQueryInProcess,
    // loader: the process that committed the blocks (its peak is the bulk load's); serving: a fresh
    // node process over the loaded folder, after the timed queries (anon: its own memory, file:
    // mapped file pages, mostly LevelDB tables read through mmap)
    rssMB: {
      loaderAfterLoad: loader.rssMB.afterLoad,
      loaderAnon: loader.rssMB.rssAnon,
      loaderFile: loader.rssMB.rssFile,
      loaderPeak: loader.rssMB.peak,
      servingAfterQueries: serving.rssMB.afterQueries,
      servingAnon: serving.rssMB.rssAnon,
      servingFile: serving.rssMB.rssFile,
      servingTables: serving.rssMB.rssTables,
      servingPeak: serving.rssMB.peak
    },
    feedIndexRebuildMs: serving.rebuildMs,
    loadAverage: loadavg().map(x => +x.toFixed(2)),
    caches: { stateEntries: STATE_CACHE ?? 'default', feedDocs: DOC_CACHE ?? 'default', level: LEVEL },
    memoryMB: [...loader.memoryMB, ...serving.memoryMB],
    perQuery: serving.perQuery,
    perQueryInProcess: serving.perQueryInProcess,
    breakdown: serving.breakdown
  }
  console.log(JSON.stringify({ ...result, perQuery: undefined, perQueryInProcess: undefined, breakdown: undefined, memoryMB: undefined }, null, 2))
  await mkdir(new URL('./results/', import.meta.url), { recursive: true })
  await writeFile(new URL('./results/feed.json', import.meta.url), JSON.stringify(result, null, 2) + '\n')
  if (kept === undefined) await rm(dir, { recursive: true, force: true })
}

await main()
