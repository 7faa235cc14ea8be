/**
 * Load generator for the node benchmarks, run as its own process so that signing and HTTP load
 * do not share the node's event loop. Funds `senders` fresh accounts from the devnet faucet, then
 * sends transfers in JSON-RPC batches at `rate` tx/s (0 = as fast as the node admits) for
 * `seconds`, and writes {hash: submitTimeMs} to `out`.
 *
 *   node --import ./src/polyfill.js --import tsx bench/loadgen.ts RPC_URL[,RPC_URL…] RATE SECONDS OUT [SENDERS]
 */
import { writeFile } from 'node:fs/promises'
import http from 'node:http'
import { errorMessage } from '../src/errors.js'
import { RpcClient } from '../src/client/rpcClient.js'
import { buildTx, fetchParams, waitForTx } from '../src/client/tx.js'
import { encodeTx, txId } from '../src/blocks/index.js'
import { toHex } from '../src/codec/index.js'
import { accountFromSecretKey, ed25519Generate, encodeAddress, type Account } from '../src/crypto/index.js'
import { devnetFaucetKey } from '../src/node/devnetKeys.js'

const [urlArg, rateArg, secondsArg, out, sendersArg] = process.argv.slice(2)
// several comma-separated URLs: the senders are split over the nodes, and batches go round-robin
const urls = urlArg.split(',')
const url = urls[0]
let nextUrl = 0
const rate = Number(rateArg)
const seconds = Number(secondsArg)
const senderCount = Number(sendersArg ?? 200)
const BATCH = 100

// node:http with keep-alive rather than fetch: the same requests reach the node, but the
// generator, which shares the machine's two cores with the nodes it measures, spends about half
// the CPU per request (undici's fetch builds WHATWG streams, Headers and a Response for each)
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 })

async function postBatch (body: unknown[], target = url): Promise<any[]> {
  const payload = JSON.stringify(body)
  for (let attempt = 0; ; attempt++) {
    try {
      return await postOnce(payload, target)
    } catch (err) {
      // A kept-alive socket the server closed just as this request went out: the request never
      // reached the node, and Node's documentation says to send it again on a new socket.
      if (!(err instanceof StaleSocketError) || attempt >= 2) throw err
    }
  }
}

class StaleSocketError extends Error {}

async function postOnce (payload: string, target: string): Promise<any[]> {
  return await new Promise((resolve, reject) => {
    const req = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        } catch (err) {
          reject(new Error(`HTTP ${res.statusCode ?? '?'} from ${target}: ${errorMessage(err)}`))
        }
      })
      res.on('error', reject)
    })
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(req.reusedSocket && err.code === 'ECONNRESET' ? new StaleSocketError(err.message, { cause: err }) : err)
    })
    req.end(payload)
  })
}

async function main (): Promise<void> {
  const rpc = new RpcClient(url)
  const params = await fetchParams(rpc)
  const faucet = devnetFaucetKey()
  const senders: Account[] = Array.from({ length: senderCount }, () => accountFromSecretKey(ed25519Generate().secretKey))
  const fAcct = await rpc.call('account_get', { address: encodeAddress(faucet.address) })
  let fNonce = BigInt(fAcct.pendingNonce)
  let last = ''
  for (let i = 0; i < senders.length; i += BATCH) {
    const chunk = senders.slice(i, i + BATCH).map(s => buildTx(faucet, params, 'transfer', { to: s.address, amount: 10_000_000_000n }, fNonce++))
    // the previous phase may have left the pool full: wait for room rather than fail
    let unsent = chunk.map((tx, j) => ({ jsonrpc: '2.0', id: j, method: 'tx_send', params: { tx: toHex(encodeTx(tx)) } }))
    for (let attempt = 0; unsent.length > 0; attempt++) {
      const res = await postBatch(unsent)
      // a sender's nonces must arrive in order: after the first refusal the rest are refused too
      const refused = res.filter((r: any) => r.error != null).sort((a: any, b: any) => a.id - b.id)[0]
      if (refused === undefined) break
      if (refused.error.data?.reason !== 'FULL' || attempt >= 240) throw new Error(`funding failed: ${refused.error.message}`)
      unsent = unsent.filter(t => t.id >= refused.id)
      if (unsent.length > 0) await new Promise(resolve => setTimeout(resolve, 250))
    }
    last = toHex(txId(chunk[chunk.length - 1]))
    // one sender may hold 256 pending transactions: let each round commit
    if ((i / BATCH) % 2 === 1) await waitForTx(rpc, last, 60_000)
  }
  await waitForTx(rpc, last, 60_000)

  const nonces = senders.map(() => 0n)
  // Sign ahead of the timed window, so that the measurement is of the node, not of this process's
  // signing (the two share the machine's two cores).
  const perSender = Math.ceil((rate > 0 ? rate * seconds : 120 * senders.length) / senders.length) + 2
  const presigned: string[][] = senders.map((s, i) => Array.from({ length: perSender }, (_, n) =>
    toHex(encodeTx(buildTx(s, params, 'transfer', { to: senders[(i + 1) % senders.length].address, amount: 1n }, BigInt(n))))))
  const submitted: Record<string, number> = {}
  process.stdout.write('load started\n')
  const start = Date.now()
  let sent = 0
  let rejected = 0
  const rejectedBy: Record<string, number> = {}
  // when each node first pushed back (its pool was full)
  const fullAt = new Map<string, number>()
  // a few batches in flight hide the HTTP round trip; each sender appears once per batch
  const IN_FLIGHT = 4
  const inflight = new Set<Promise<void>>()
  const busy = new Set<number>()
  // each sender talks to one node, as a wallet does: its transactions reach that node in nonce
  // order, and the other nodes learn them by gossip (spreading one sender's consecutive nonces
  // over several nodes would mostly measure NONCE_GAP refusals)
  const sendersOf: number[][] = urls.map((_, u) => senders.map((_, i) => i).filter(i => i % urls.length === u))
  const nextOf = urls.map(() => 0)
  while (Date.now() - start < seconds * 1000) {
    const due = rate > 0 ? Math.floor((Date.now() - start) / 1000 * rate) - sent : BATCH
    if (due <= 0 || inflight.size >= IN_FLIGHT) {
      if (inflight.size > 0) await Promise.race(inflight)
      else await new Promise(resolve => setTimeout(resolve, 5))
      continue
    }
    const n = Math.min(due, BATCH)
    const u = nextUrl++ % urls.length
    const target = urls[u]
    const own = sendersOf[u]
    const txs: Array<{ i: number, hex: string }> = []
    for (let k = 0; k < own.length && txs.length < n; k++) {
      const i = own[nextOf[u]++ % own.length]
      if (busy.has(i)) continue
      busy.add(i)
      const hex = presigned[i][Number(nonces[i])]
      if (hex === undefined) { busy.delete(i); continue }
      txs.push({ i, hex })
    }
    if (txs.length === 0) {
      await (inflight.size > 0 ? Promise.race(inflight) : new Promise(resolve => setTimeout(resolve, 5)))
      continue
    }
    sent += txs.length
    const t = Date.now()
    const p = postBatch(txs.map(({ hex }, j) => ({ jsonrpc: '2.0', id: j, method: 'tx_send', params: { tx: hex } })), target).then(async (res) => {
      for (const r of res) {
        const { i } = txs[r.id]
        if (r.error == null) {
          submitted[r.result.hash] = t
          nonces[i]++
        } else {
          rejected++
          const reason = String(r.error.data?.reason ?? r.error.code)
          rejectedBy[reason] = (rejectedBy[reason] ?? 0) + 1
        }
      }
      // a full pool says "retry later": a reasonable client backs off before it does
      const full = res.some((r: any) => r.error?.data?.reason === 'FULL')
      if (full && !fullAt.has(target)) {
        fullAt.set(target, Date.now())
        if (fullAt.size === urls.length) process.stdout.write('load saturated\n')
      }
      if (full) await new Promise(resolve => setTimeout(resolve, 50))
      for (const { i } of txs) busy.delete(i)
    })
    const tracked: Promise<void> = p.finally(() => { inflight.delete(tracked) })
    inflight.add(tracked)
  }
  await Promise.all(inflight)
  process.stdout.write('load finished\n')
  await writeFile(out, JSON.stringify({ submitted, sent, rejected, rejectedBy, allFullAt: fullAt.size === urls.length ? Math.max(...fullAt.values()) : undefined, start, end: Date.now() }))
}

main().catch((err) => { process.stderr.write(`loadgen: ${err.stack ?? err}\n`); process.exit(1) })
