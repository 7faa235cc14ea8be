/**
 * Key-release benchmark on a real 4-validator devnet (issue "Key NFTs and threshold key escrow"):
 * latency from "sign a share request" to "content key rebuilt and checked", p50/p90/p99/max, and
 * the share requests per second one validator serves over JSON-RPC.
 *
 * Set-up: four `folio start` processes (prepareDevnet, separate homes in a temp dir, a free base
 * port, libp2p and consensus between them, the nodes' default escrow limits). The bench process
 * funds a creator and BUYERS buyers from the devnet faucet, publishes a paid card whose random
 * 32-byte content key is escrowed with the four validators (t = 2, `escrowForPublish`), and every
 * buyer sends `key.buy`. Then:
 *
 *   (a) direct: the client signs one request and asks all four validators' RPC URLs in parallel
 *       (`escrow_requestShare`, rpcShareSource), combining the first two good shares;
 *   (b) relay: the client asks one node (`escrow_gatherShares`, as `folio unlock` does), which
 *       answers itself and asks the other validators over libp2p;
 *
 * RELEASES times each, one release at a time, buyers in turn (each buyer asks once per BUYERS
 * releases, so the per-account limit of 5/s never bites); every rebuilt key is compared with the
 * published one. Then requests/s of one validator: CONCURRENCY `escrow_requestShare` calls in
 * flight for SECONDS against node 3, requests pre-signed at a recent height:
 *
 *   - "as limited": all from 127.0.0.1 (one RPC client = one escrow peer) across all buyers:
 *     the per-peer limit (200/s, burst 400) caps what one client address gets;
 *   - "capacity": the same load spread over ADDRS loopback source addresses (127.0.0.2, …) and
 *     all buyers, so that neither the per-peer nor the per-account limit (5/s, burst 20) is what
 *     stops it: what the validator's CPU allows.
 *
 * Everything runs on one machine: the four nodes (which also keep making blocks), and this
 * client, share its cores. The load average is printed and recorded.
 *
 *   npm run bench:escrow-devnet   [env BUYERS=200 RELEASES=300 SECONDS=5 CONCURRENCY=32 ADDRS=16]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { request as httpRequest, Agent } from 'node:http'
import { tmpdir, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import '../src/polyfill.js'
import { prepareDevnet } from '../src/node/devnet.js'
import { nodeProcessArgs } from '../src/node/v8Flags.js'
import { devnetFaucetKey } from '../src/node/devnetKeys.js'
import { RpcClient } from '../src/client/rpcClient.js'
import { submit, fetchParams, buildTx, sendTx, waitForTx } from '../src/client/tx.js'
import { publishBody } from '../src/blocks/index.js'
import { randomBytes, sha256, accountFromSecretKey, encodeAddress, type Account } from '../src/crypto/index.js'
import { toHex, utf8 } from '../src/codec/index.js'
import { escrowForPublish, fetchCardEscrow, heldToken } from '../src/cli/commands/keys.js'
import { obtainContentKey, rpcShareSource, relayShareSource, signShareRequest, requestToJson } from '../src/torrent/escrow/index.js'
import { percentile, printTable, writeResults } from './lib.js'

const BIN = resolve('bin/folio.js')
const env = (name: string, dflt: number): number => process.env[name] != null ? Number(process.env[name]) : dflt
const BUYERS = env('BUYERS', 200)
const RELEASES = env('RELEASES', 300)
const SECONDS = env('SECONDS', 5)
const CONCURRENCY = env('CONCURRENCY', 32)
const ADDRS = env('ADDRS', 16)
const VALIDATORS = 4

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

async function portFree (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const s = createServer()
    s.once('error', () => { resolve(false) })
    s.listen(port, '127.0.0.1', () => { s.close(() => { resolve(true) }) })
  })
}

/** A base port whose p2p (base + 10i) and RPC (base + 1 + 10i) ports are all free. */
async function freeBasePort (): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 30000 + 10 * Math.floor(Math.random() * 2000)
    let ok = true
    for (let i = 0; i < VALIDATORS && ok; i++) ok = await portFree(base + 10 * i) && await portFree(base + 1 + 10 * i)
    if (ok) return base
  }
  throw new Error('no free base port found')
}

/** A minimal JSON-RPC caller over keep-alive HTTP from a chosen loopback source address. */
function rpcFrom (url: string, localAddress: string): (method: string, params: Record<string, unknown>) => Promise<any> {
  const u = new URL(url)
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  let id = 1
  return async (method, params) => await new Promise((resolve, reject) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: id++, method, params })
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          const j = JSON.parse(Buffer.concat(chunks).toString('utf8'))
          if (j.error != null) reject(new Error(j.error.message)); else resolve(j.result)
        } catch (err) { reject(err as Error) }
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

function stats (lat: number[]): { n: number, p50: number, p90: number, p99: number, max: number, mean: number } {
  const s = [...lat].sort((a, b) => a - b)
  return { n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length }
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'folio-bench-escrow-'))
  const basePort = await freeBasePort()
  const { homes } = await prepareDevnet({ dir, validators: VALIDATORS, basePort })
  const nodes: ChildProcess[] = homes.map(home => spawn(process.execPath, nodeProcessArgs(BIN, ['start', '--home', home, '--log-file', join(home, 'node.log')]), { stdio: 'ignore' }))
  const urls = homes.map((_, i) => `http://127.0.0.1:${basePort + 1 + 10 * i}/rpc`)
  const rpcs = urls.map(u => new RpcClient(u, { timeoutMs: 30_000 }))
  const rpc = rpcs[0]
  let head = 0
  let watching = true
  try {
    // 1. devnet up: every node past height 2
    for (let i = 0; ; i++) {
      const hs = await Promise.all(rpcs.map(async r => await r.call('chain_info').then(x => x.height as number, () => 0)))
      if (hs.every(h => h >= 2)) break
      if (i > 900) throw new Error(`devnet did not start (heights ${hs.join(', ')}); logs in ${dir}`)
      await sleep(100)
    }
    const watcher = (async () => {
      while (watching) {
        head = await rpc.call('chain_info').then(x => x.height as number, () => head)
        await sleep(250)
      }
    })()
    process.stdout.write(`devnet of ${VALIDATORS} validators up in ${dir}, base port ${basePort}\n`)

    // 2. fund creator and buyers from the faucet, publish a paid escrowed card, buy keys
    const faucet = devnetFaucetKey()
    const creator = accountFromSecretKey(sha256(utf8(`bench escrow-devnet creator ${basePort}`)))
    const buyers: Account[] = Array.from({ length: BUYERS }, (_, i) => accountFromSecretKey(sha256(utf8(`bench escrow-devnet buyer ${i} ${basePort}`))))
    const params = await fetchParams(rpc)
    const acct = await rpc.call('account_get', { address: encodeAddress(faucet.address) })
    let nonce = BigInt(acct.pendingNonce ?? acct.nonce)
    const funding = []
    for (const a of [creator, ...buyers]) funding.push(await sendTx(rpc, buildTx(faucet, params, 'transfer', { to: a.address, amount: 10_000_000_000n }, nonce++), { wait: false }))
    for (const f of funding) {
      const r = await waitForTx(rpc, f.hash, 60_000)
      if (r.result != null && !r.result.ok) throw new Error(`funding failed: ${r.result.message}`)
    }
    const contentKey = randomBytes(32)
    const { escrow, keyCommitment } = await escrowForPublish(rpc, contentKey)
    const PRICE = 1_000_000n
    const size = 1 << 20
    const sliceSize = 1 << 18
    const pub = await submit(rpc, creator, 'card.publish', publishBody({ kind: 'video', title: 'escrow devnet bench', mime: 'video/mp4', size, sliceSize, sliceCount: size / sliceSize, contentRoot: randomBytes(32), price: PRICE, keySalt: randomBytes(32), escrow, keyCommitment }))
    const card = pub.id
    const buys = []
    for (const b of buyers) buys.push(await sendTx(rpc, buildTx(b, params, 'key.buy', { card, maxPrice: PRICE }, 0n), { wait: false }))
    for (const s of buys) {
      const r = await waitForTx(rpc, s.hash, 60_000)
      if (r.result != null && !r.result.ok) throw new Error(`key.buy failed: ${r.result.message}`)
    }
    const tokens = await Promise.all(buyers.map(async b => (await heldToken(rpc, b.address, card))!))
    if (tokens.some(t => t === undefined)) throw new Error('a buyer holds no token')
    const esc = await fetchCardEscrow(rpc, card)
    const { chainId } = await rpc.call('chain_info')
    process.stdout.write(`card ${toHex(card)} published at height ${pub.height} (t = ${esc.escrow!.threshold} of ${esc.escrow!.shares.length}); ${BUYERS} buyers hold keys\n`)
    // every node must have the card before we ask it
    for (const r of rpcs) for (let i = 0; ; i++) { if (await r.call('escrow_get', { card: toHex(card) }).then(() => true, () => false)) break; if (i > 100) throw new Error('card not seen'); await sleep(100) }

    const direct = rpcs.map((r, i) => rpcShareSource(`validator ${i}`, async (m, p) => await r.call(m, p)))
    const relay = [relayShareSource(`relay ${urls[0]}`, async (m, p) => await rpc.call(m, p))]
    const check = (k: Uint8Array): void => { if (Buffer.compare(k, contentKey) !== 0) throw new Error('rebuilt key differs from the published one') }
    // the request height: the head one node reports, minus one, so a lagging validator does not wait
    const height = (): number => Math.max(1, head - 1)

    // relay needs libp2p peers: wait (up to ~30 s) until one relayed release gets all four shares;
    // the relay returns 150 ms after t shares, so on a loaded machine it may report fewer
    let relaySeen = 0
    for (let i = 0; ; i++) {
      const b = i % BUYERS
      const r = await rpc.call('escrow_gatherShares', { request: requestToJson(signShareRequest(buyers[b], { chainId, card, token: tokens[b], height: height() })) })
      relaySeen = Math.max(relaySeen, r.answers.filter((a: any) => a.ok === true).length)
      if (relaySeen >= VALIDATORS) break
      if (i >= 100) {
        if (relaySeen < esc.escrow!.threshold) throw new Error(`relay got only ${relaySeen} shares`)
        process.stdout.write(`relay got at most ${relaySeen} of ${VALIDATORS} shares in one call during warm-up; measuring anyway\n`)
        break
      }
      await sleep(300)
    }

    // 3. latency, request → content key, one at a time
    const measure = async (sources: typeof direct, offset: number): Promise<{ lat: number[], used: Map<string, number> }> => {
      const lat: number[] = []
      const used = new Map<string, number>()
      for (let i = -20; i < RELEASES; i++) { // 20 warm-up releases
        const b = (offset + i + 20) % BUYERS
        const t0 = performance.now()
        const r = await obtainContentKey(esc, tokens[b], buyers[b], { chainId, height: height(), sources })
        const ms = performance.now() - t0
        check(r.key)
        if (i >= 0) { lat.push(ms); for (const u of r.used) used.set(u.slice(0, 10), (used.get(u.slice(0, 10)) ?? 0) + 1) }
      }
      return { lat, used }
    }
    const load0 = loadavg()
    const d = await measure(direct, 0)
    await sleep(4000) // per-account buckets refill
    const rl = await measure(relay, Math.floor(BUYERS / 2))
    const directStats = stats(d.lat)
    const relayStats = stats(rl.lat)
    const table = (title: string, s: ReturnType<typeof stats>): void => printTable(title, [['releases', s.n], ['p50 ms', s.p50], ['p90 ms', s.p90], ['p99 ms', s.p99], ['max ms', s.max], ['mean ms', s.mean]])
    table('key release, direct: escrow_requestShare on all 4 validator RPCs in parallel (t = 2)', directStats)
    table('key release, relay: escrow_gatherShares on node 0 (libp2p to the others)', relayStats)
    await sleep(4000)

    // 4. requests/s one validator serves (node 3), pre-signed requests at a recent height
    const target = urls[VALIDATORS - 1]
    const throughput = async (addrs: string[]): Promise<{ ok: number, refused: Record<string, number>, errors: number, perSec: number, attemptsPerSec: number, latP50: number, latP99: number }> => {
      // signed just before the phase: the request height must stay within the 20-block window
      const signed = buyers.map((b, i) => requestToJson(signShareRequest(b, { chainId, card, token: tokens[i], height: height() })))
      const callers = addrs.map(a => rpcFrom(target, a))
      let ok = 0
      let errors = 0
      const refused: Record<string, number> = {}
      const lat: number[] = []
      const t0 = performance.now()
      const until = t0 + SECONDS * 1000
      await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
        let i = w
        while (performance.now() < until) {
          const s = performance.now()
          try {
            const a = await callers[i % callers.length](`escrow_requestShare`, { request: signed[i % signed.length] })
            if (a.ok === true) { ok++; lat.push(performance.now() - s) } else refused[a.reason] = (refused[a.reason] ?? 0) + 1
          } catch { errors++ }
          i += CONCURRENCY
        }
      }))
      const secs = (performance.now() - t0) / 1000
      const total = ok + errors + Object.values(refused).reduce((x, y) => x + y, 0)
      lat.sort((a, b) => a - b)
      return { ok, refused, errors, perSec: ok / secs, attemptsPerSec: total / secs, latP50: percentile(lat, 50), latP99: percentile(lat, 99) }
    }
    const loadT = loadavg()
    const limited = await throughput(['127.0.0.1'])
    await sleep(5000) // let the per-account buckets refill (burst 20 at 5/s)
    const capacity = await throughput(Array.from({ length: ADDRS }, (_, i) => `127.0.0.${i + 2}`))
    const load1 = loadavg()
    printTable(`one validator (node 3), escrow_requestShare, ${CONCURRENCY} in flight for ${SECONDS} s`, [
      ['from one address (127.0.0.1): shares served/s', limited.perSec],
      ['  attempts/s (served + refused)', limited.attemptsPerSec],
      ['  refused', JSON.stringify(limited.refused)],
      [`from ${ADDRS} addresses, ${BUYERS} accounts: shares served/s`, capacity.perSec],
      ['  attempts/s (served + refused)', capacity.attemptsPerSec],
      ['  refused', JSON.stringify(capacity.refused)],
      ['  served-call latency p50 / p99 ms', `${capacity.latP50.toFixed(1)} / ${capacity.latP99.toFixed(1)}`],
      ['limits (node defaults)', 'per account 5/s burst 20; per peer (RPC client address) 200/s burst 400; RPC 5000/s per client'],
      ['load average (1 min) before / after', `${load0[0].toFixed(2)} / ${load1[0].toFixed(2)}`]
    ])

    const result = {
      setup: `${VALIDATORS} validator processes (folio start, prepareDevnet) on 127.0.0.1, consensus and libp2p live, default escrow limits; client in a separate process; all on one machine of shared cores`,
      card: toHex(card),
      threshold: esc.escrow!.threshold,
      buyers: BUYERS,
      requestHeight: 'head of node 0 minus 1, polled every 250 ms',
      relayWarmupMaxShares: relaySeen,
      latencyMs: { direct: directStats, relay: relayStats },
      sharesUsed: { direct: Object.fromEntries(d.used), relay: Object.fromEntries(rl.used) },
      validatorRequestsPerSec: {
        target: 'node 3',
        concurrency: CONCURRENCY,
        seconds: SECONDS,
        limits: { perAccount: { ratePerSec: 5, burst: 20 }, perPeer: { ratePerSec: 200, burst: 400 }, rpcPerClient: { ratePerSec: 5000, burst: 10000 } },
        oneAddress: limited,
        manyAddresses: { addresses: ADDRS, accounts: BUYERS, ...capacity }
      },
      loadAverage: { beforeLatency: load0, beforeThroughput: loadT, end: load1 },
      goal: { p50Ms: 100, p99Ms: 300 }
    }
    process.stdout.write(`\nwrote ${await writeResults('escrow-devnet', result)}\n`)
    watching = false
    await watcher
  } finally {
    watching = false
    for (const node of nodes) node.kill('SIGTERM')
    await Promise.all(nodes.map(async node => await new Promise(resolve => node.exitCode !== null ? resolve(null) : node.once('exit', resolve))))
    if (process.env.BENCH_KEEP == null) await rm(dir, { recursive: true, force: true })
    else process.stdout.write(`kept ${dir}\n`)
  }
}

main().then(() => process.exit(0), (err) => { process.stderr.write(`${err.stack ?? err}\n`); process.exit(1) })
