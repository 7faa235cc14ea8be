/**
 * Key-release benchmark (MISSION.md §8): latency from "sign a share request" to "content key
 * rebuilt and checked", p50/p99, with a 4-validator committee (t = 2), and the share requests per
 * second one validator serves over JSON-RPC.
 *
 * Set-up, stated plainly: one process holds a committed chain with the devnet's four validator
 * keys (blocks committed without consensus), and four escrow servers — one per validator key,
 * each behind its own real JSON-RPC HTTP server on 127.0.0.1 — over that chain. The holder's
 * client asks all four in parallel over loopback HTTP, exactly as a light client would, and
 * combines the first two good shares. Client and servers share one event loop and two cores, so
 * these figures are an upper bound on the software's cost, not a network measurement.
 *
 *   npx tsx bench/escrow.ts [--holders 200] [--releases 400] [--seconds 3] [--concurrency 32]
 */
import '../src/polyfill.js'
import { randomBytes, sha256, accountFromSecretKey, type Account } from '../src/crypto/index.js'
import { utf8 } from '../src/codec/index.js'
import { publishBody, tokenId, signTx, encodeTx, merkleRoot, txId } from '../src/blocks/index.js'
import type { Tx, Block } from '../src/blocks/types.js'
import { Chain, MemoryStore, minFee, DEFAULT_PARAMS, cardEscrow } from '../src/state/index.js'
import { devnetGenesis, devnetValidatorKey } from '../src/node/devnetKeys.js'
import { RpcServer } from '../src/rpc/server.js'
import { RpcClient } from '../src/client/rpcClient.js'
import { keyMethods } from '../src/rpc/methods/keys.js'
import { createLogger } from '../src/node/logger.js'
import { buildEscrow, EscrowServer, obtainContentKey, rpcShareSource, signShareRequest, requestToJson } from '../src/torrent/escrow/index.js'
import { percentile, printTable, writeResults } from './lib.js'

function arg (name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : dflt
}
const HOLDERS = arg('holders', 200)
const RELEASES = arg('releases', 400)
const SECONDS = arg('seconds', 3)
const CONCURRENCY = arg('concurrency', 32)

const nonces = new Map<Account, bigint>()
function tx (chainId: string, from: Account, type: string, body: Record<string, unknown>): Tx {
  const nonce = nonces.get(from) ?? 0n
  nonces.set(from, nonce + 1n)
  const unsigned = { type, chainId, from: from.publicKey, nonce, fee: 0n, body }
  let t = signTx(unsigned, from.secretKey)
  for (let i = 0; i < 3; i++) {
    const need = minFee(DEFAULT_PARAMS, encodeTx(t).length)
    if (t.fee >= need) break
    t = signTx({ ...unsigned, fee: need }, from.secretKey)
  }
  return t
}

async function commit (chain: Chain, txs: Tx[]): Promise<void> {
  const head = chain.head()
  const block: Block = {
    header: { chainId: chain.chainId, height: head.height + 1, time: head.time + 1000, prevHash: head.hash, txRoot: merkleRoot(txs.map(txId)), stateRoot: head.stateRoot, validatorsHash: new Uint8Array(32), proposer: chain.validators(head.height + 1)[0]!.address, lastCommitHash: new Uint8Array(32) },
    txs,
    lastCommit: null
  }
  const c = await chain.commit(block, null)
  const bad = c.executed.find(e => !e.result.ok)
  if (bad !== undefined) throw new Error(`set-up transaction failed: ${bad.result.message}`)
}

async function main (): Promise<void> {
  const creator = accountFromSecretKey(sha256(utf8('bench escrow creator')))
  const holders = Array.from({ length: HOLDERS }, (_, i) => accountFromSecretKey(sha256(utf8(`bench escrow holder ${i}`))))
  const genesis = devnetGenesis(4)
  genesis.accounts.push(...[creator, ...holders].map(a => ({ address: a.address, balance: 10n ** 12n })))
  const chain = await Chain.open(new MemoryStore(), genesis)
  const committee = chain.validators(1).map(v => ({ address: v.address, escrowKey: v.escrowKey! }))
  const contentKey = randomBytes(32)
  const { escrow, keyCommitment } = await buildEscrow(contentKey, committee)
  const pub = tx(chain.chainId, creator, 'card.publish', publishBody({ kind: 'video', title: 'bench', mime: 'video/mp4', size: 1 << 20, sliceSize: 1 << 18, sliceCount: 4, contentRoot: randomBytes(32), price: 1000n, keySalt: randomBytes(32), escrow, keyCommitment }))
  await commit(chain, [pub])
  const card = txId(pub)
  for (let i = 0; i < holders.length; i += 100) await commit(chain, holders.slice(i, i + 100).map(h => tx(chain.chainId, h, 'key.buy', { card, maxPrice: 1000n })))
  const esc = (await cardEscrow(chain.state, card))!

  const log = createLogger({ level: 'silent', pretty: false })
  const view = { chainId: chain.chainId, headHeight: () => chain.head().height, state: chain.state }
  const limits = { perAccount: { ratePerSec: 1e6, burst: 1e6 }, perPeer: { ratePerSec: 1e6, burst: 1e6 } }
  const servers = Array.from({ length: 4 }, (_, i) => new EscrowServer(view, devnetValidatorKey(i), limits))
  const rpcs = servers.map(s => new RpcServer({ methods: keyMethods({ chain, server: s }), log, options: { host: '127.0.0.1', port: 0, ratePerSec: 1e6, burst: 1e6 } }))
  const urls = await Promise.all(rpcs.map(async r => `${await r.start()}/rpc`))
  const clients = urls.map(u => new RpcClient(u))
  const sources = clients.map((c, i) => rpcShareSource(`validator ${i}`, async (m, p) => await c.call(m, p)))

  // latency: request → content key, one release at a time, holders in turn
  for (let i = 0; i < 20; i++) await obtainContentKey(esc, tokenId(card, 1 + (i % HOLDERS)), holders[i % HOLDERS]!, { chainId: chain.chainId, height: chain.head().height, sources })
  const lat: number[] = []
  for (let i = 0; i < RELEASES; i++) {
    const h = i % HOLDERS
    const t0 = performance.now()
    const r = await obtainContentKey(esc, tokenId(card, 1 + h), holders[h]!, { chainId: chain.chainId, height: chain.head().height, sources })
    lat.push(performance.now() - t0)
    if (r.key.length !== 32 || Buffer.compare(r.key, contentKey) !== 0) throw new Error('wrong key')
  }
  lat.sort((a, b) => a - b)

  // throughput: one validator, CONCURRENCY requests in flight over HTTP, for SECONDS
  const requests = holders.map((h, i) => requestToJson(signShareRequest(h, { chainId: chain.chainId, card, token: tokenId(card, 1 + i), height: chain.head().height })))
  let served = 0
  let refused = 0
  const until = performance.now() + SECONDS * 1000
  const t0 = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
    let i = w
    while (performance.now() < until) {
      const a = await clients[0]!.call('escrow_requestShare', { request: requests[i % requests.length] })
      if (a.ok === true) served++; else refused++
      i += CONCURRENCY
    }
  }))
  const httpRate = served / ((performance.now() - t0) / 1000)

  // the domain function alone (no HTTP): what the checks and the re-sealing cost
  const signed = holders.map((h, i) => signShareRequest(h, { chainId: chain.chainId, card, token: tokenId(card, 1 + i), height: chain.head().height }))
  const n = 2000
  const t1 = performance.now()
  for (let i = 0; i < n; i++) await servers[1]!.answerShareRequest(signed[i % signed.length]!, 'bench')
  const coreRate = n / ((performance.now() - t1) / 1000)

  for (const r of rpcs) await r.stop()

  const result = {
    setup: '4 validators (t = 2), in-process escrow servers behind real JSON-RPC HTTP on 127.0.0.1, one committed chain, one process on shared cores',
    releases: RELEASES,
    latencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat[lat.length - 1] },
    validatorRequestsPerSec: { http: httpRate, concurrency: CONCURRENCY, refused, domainFunctionOnly: coreRate }
  }
  printTable('key release (request → content key), 4 validators, t = 2', [
    ['releases', RELEASES],
    ['p50 ms', result.latencyMs.p50],
    ['p99 ms', result.latencyMs.p99],
    ['max ms', result.latencyMs.max],
    [`one validator, req/s over HTTP (${CONCURRENCY} in flight)`, httpRate],
    ['one validator, req/s answerShareRequest alone', coreRate]
  ])
  process.stdout.write(`\nwrote ${await writeResults('escrow', result)}\n`)
}

await main()
