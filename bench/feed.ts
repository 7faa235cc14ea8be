/**
 * Feed benchmark: loads N cards (default 100,000) with mixed kinds, tags, creators, prices,
 * replies, reactions, views and follows into a LevelDB chain through real block commits, then
 * serves `feed_query` over HTTP and measures a representative mix of filters and sorts.
 * Reports indexing throughput (cards/s: whole commits, and the feed indexer's own share),
 * feed_query p50/p99 per query shape and overall, and RSS. Writes bench/results/feed.json.
 *
 *   node --import ./src/polyfill.js --import tsx bench/feed.ts        (FEED_BENCH_CARDS=20000 for a quick run)
 */
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { sha256, accountFromSecretKey, encodeAddress, type Account } from '../src/crypto/index.js'
import { toHex, utf8 } from '../src/codec/index.js'
import { signTx, merkleRoot, txId, encodeTx, publishBody, CARD_KINDS, REACTIONS } from '../src/blocks/index.js'
import type { Tx, Block } from '../src/blocks/types.js'
import { Chain, LevelStore, DEFAULT_PARAMS, minFee, FeedIndex, cursorSecret, type Genesis } from '../src/state/index.js'
import { RpcServer } from '../src/rpc/server.js'
import { feedMethods } from '../src/rpc/methods/feed.js'
import { createLogger } from '../src/node/logger.js'

const CARDS = Number(process.env.FEED_BENCH_CARDS ?? 100_000)
const ACCOUNTS = 1_000
const PER_BLOCK = Number(process.env.FEED_BENCH_PER_BLOCK ?? 2_000)
const CHAIN_ID = 'folio-bench-1'
const QUERY_ROUNDS = Number(process.env.FEED_BENCH_ROUNDS ?? 40)

let seed = 0x5eed
function rand (): number {
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
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

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'folio-feed-bench-'))
  const store = await LevelStore.open(join(dir, 'db'))
  const validator = accountFromSecretKey(sha256(utf8('feed bench validator')))
  const genesis: Genesis = {
    chainId: CHAIN_ID,
    genesisTime: 1_700_000_000_000,
    params: { ...DEFAULT_PARAMS },
    accounts: accounts.map(a => ({ address: a.address, balance: 1_000_000_000_000n })),
    validators: [{ name: 'v0', publicKey: validator.publicKey, operator: validator.address, power: 10n }]
  }
  const chain = await Chain.open(store, genesis)
  const index = new FeedIndex(chain.kv, chain.state)
  await index.markCurrent(0)
  if (process.env.FEED_BENCH_PROBE !== undefined) console.error('after open: rss', Math.round(process.memoryUsage().rss / 2 ** 20), 'MB')
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
  if (process.env.FEED_BENCH_PROBE !== undefined) { const m = process.memoryUsage(); console.error('after cards: heap', Math.round(m.heapUsed / 2 ** 20), 'MB, arrayBuffers', Math.round(m.arrayBuffers / 2 ** 20), 'MB, rss', Math.round(m.rss / 2 ** 20), 'MB') }
  const cardIndexMs = indexMs
  if (process.env.FEED_BENCH_NOINDEX !== undefined) { console.error('no index: cards/s', Math.round(CARDS / (cardCommitMs / 1000)), 'rss', Math.round(process.memoryUsage().rss / 2 ** 20)); process.exit(0) }

  // 2. engagement: reactions, views, follows, a few mutes and flags
  const engage: Tx[] = []
  for (let i = 0; i < CARDS; i++) engage.push(tx(Math.floor(rand() * ACCOUNTS), 'card.react', { card: skewed(ids), reaction: pick(REACTIONS) }))
  for (let i = 0; i < CARDS / 2; i++) engage.push(tx(Math.floor(rand() * ACCOUNTS), 'card.view', { card: skewed(ids) }))
  for (let a = 0; a < ACCOUNTS; a++) {
    const followees = new Set<number>()
    while (followees.size < 20) { const b = skewedIndex(ACCOUNTS); if (b !== a) followees.add(b) }
    for (const b of followees) engage.push(tx(a, 'social.follow', { account: accounts[b].address }))
    if (a % 10 === 0) engage.push(tx(a, 'social.mute', { account: accounts[(a + 1) % ACCOUNTS].address }))
    if (a % 5 === 0) engage.push(tx(a, 'card.flag', { card: skewed(ids), reason: 'spam' }))
  }
  const t2 = performance.now()
  for (let i = 0; i < engage.length; i += PER_BLOCK) await chain.commit(block(chain, engage.slice(i, i + PER_BLOCK)), null)
  const engageMs = performance.now() - t2
  engage.length = 0
  const rssLoaded = process.memoryUsage().rss

  // 3. queries over HTTP
  const rpc = new RpcServer({ methods: {}, log: createLogger({ level: 'silent' }), options: { port: 0, ratePerSec: 1e9, burst: 1e9 } })
  rpc.addMethods(feedMethods({ chain, index, secret: await cursorSecret(chain.kv) }))
  const url = `${await rpc.start()}/rpc`
  const addr = (i: number): string => encodeAddress(accounts[i].address)
  const shapes: Array<{ name: string, params: () => Record<string, unknown> }> = [
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
    { name: 'replies to a card, new', params: () => ({ filter: { parent: toHex(skewed(ids)) } }) },
    { name: 'since/until window, new', params: () => { const h = 1 + Math.floor(rand() * (CARDS / PER_BLOCK)); return { filter: { since: h, until: h } } } },
    { name: 'muted+flagged hidden, new', params: () => { const v = addr(Math.floor(rand() * ACCOUNTS)); return { filter: { excludeMutedBy: v, hideFlaggedFor: v } } } },
    { name: 'top (everything)', params: () => ({ sort: 'top' }) },
    { name: 'trending (everything)', params: () => ({ sort: 'trending' }) },
    { name: 'seeded (everything)', params: () => ({ sort: 'seeded' }) },
    { name: 'kind text + free + tag, trending', params: () => ({ filter: { kind: ['text'], free: true, tags: [skewed(TAGS)] }, sort: 'trending' }) }
  ]
  const call = async (params: Record<string, unknown>): Promise<any> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'feed_query', params: { limit: 20, ...params } }) })
    const j: any = await res.json()
    if (j.error !== undefined) throw new Error(`${JSON.stringify(params)}: ${j.error.message}`)
    return j.result
  }
  for (const s of shapes) for (let i = 0; i < 3; i++) await call(s.params()) // warm-up
  const all: number[] = []
  const rows: Array<{ query: string, p50: number, p99: number, meanItems: number }> = []
  const perShape = new Map<string, { lat: number[], items: number }>()
  let peakRss = process.memoryUsage().rss
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
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  for (const [name, e] of perShape) {
    const sorted = e.lat.sort((a, b) => a - b)
    rows.push({ query: name, p50: +percentile(sorted, 0.5).toFixed(2), p99: +percentile(sorted, 0.99).toFixed(2), meanItems: +(e.items / e.lat.length).toFixed(1) })
  }
  all.sort((a, b) => a - b)
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cards: CARDS,
    accounts: ACCOUNTS,
    engagementTxs: { reactions: CARDS, views: CARDS / 2, follows: ACCOUNTS * 20 },
    avgCardTxBytes: Math.round(bytes / CARDS),
    indexing: {
      cardsPerSecCommit: Math.round(CARDS / (cardCommitMs / 1000)),
      cardsPerSecIndexerOnly: Math.round(CARDS / (cardIndexMs / 1000)),
      signingMs: Math.round(signMs),
      engagementTxsPerSec: Math.round((CARDS * 1.5 + ACCOUNTS * 22.3) / (engageMs / 1000))
    },
    feedQuery: { queries: all.length, p50: +percentile(all, 0.5).toFixed(2), p99: +percentile(all, 0.99).toFixed(2), max: +all[all.length - 1].toFixed(2) },
    rssMB: { afterLoad: Math.round(rssLoaded / 2 ** 20), peak: Math.round(peakRss / 2 ** 20) },
    perQuery: rows
  }
  console.table(rows)
  console.log(JSON.stringify({ ...result, perQuery: undefined }, null, 2))
  await mkdir(new URL('./results/', import.meta.url), { recursive: true })
  await writeFile(new URL('./results/feed.json', import.meta.url), JSON.stringify(result, null, 2) + '\n')
  await rpc.stop()
  await store.close()
  await rm(dir, { recursive: true, force: true })
}

await main()
