/**
 * Content commands (MISSION.md §10): `folio publish FILE`, `folio fetch CARD --out FILE`,
 * `folio stream CARD`, `folio seed CARD` and `folio seeders CARD`. They talk to the user's own
 * node: JSON-RPC for chain and swarm calls, its loopback HTTP routes for bytes (`PUT /slices`,
 * `GET /content`). Progress goes to stderr, so `--json` output on stdout stays one object.
 */
import type { Argv } from 'yargs'
import { createWriteStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { get } from 'node:http'
import { CARD_KINDS, publishBody, txId, type CardKind } from '../../blocks/index.js'
import { fromHex, toHex } from '../../codec/index.js'
import { buildTx, fetchParams, sendTx, submit } from '../../client/tx.js'
import { encodeAddress } from '../../crypto/index.js'
import { contentMaster, prepareContent, uploadContent } from '../../torrent/publisher.js'
import { mimeOf } from '../../torrent/site.js'
import { client, output, wallet, parseAmount, rpcUrl, CliError, type GlobalArgs } from '../context.js'
import { escrowForPublish, fetchCardEscrow, unlockCard, heldToken } from './keys.js'
import type { RpcClient } from '../../client/rpcClient.js'

function cardArg (text: string): Uint8Array {
  try {
    return fromHex(text.startsWith('0x') ? text : `0x${text}`, 32)
  } catch {
    throw new CliError('USAGE', `"${text}" is not a card id (0x followed by 64 hex digits)`)
  }
}

/** The node's HTTP base from its RPC URL: http://host:port/rpc → http://host:port */
function httpBase (args: GlobalArgs): string {
  return rpcUrl(args).replace(/\/rpc(\?.*)?$/, '')
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`

function progressLine (args: GlobalArgs, done: number, total: number, startedAt: number, peers?: number): void {
  if (args.json === true || !process.stderr.isTTY) return
  const secs = Math.max(0.001, (Date.now() - startedAt) / 1000)
  const rate = done / secs
  const eta = rate > 0 ? Math.ceil((total - done) / rate) : Infinity
  const width = 24
  const filled = Math.round(width * Math.min(1, done / Math.max(1, total)))
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${mib(done)} / ${mib(total)}  ${(rate / 1e6).toFixed(1)} MB/s` +
    `${peers != null ? `  ${peers} peer${peers === 1 ? '' : 's'}` : ''}  ETA ${Number.isFinite(eta) ? `${eta}s` : '?'}   `)
}

const endProgress = (args: GlobalArgs): void => { if (args.json !== true && process.stderr.isTTY) process.stderr.write('\n') }

/** Streams `GET url` into `path`, hashing as it goes. */
async function download (url: string, path: string): Promise<{ bytes: number, sha256: string }> {
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => { get(url, resolve).on('error', reject) })
  if (res.statusCode !== 200) {
    const chunks: Buffer[] = []
    for await (const c of res) chunks.push(c as Buffer)
    throw new CliError('FAILED', `the node could not serve the content (HTTP ${res.statusCode ?? '?'}): ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`)
  }
  const out = createWriteStream(path)
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of res) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
    if (!out.write(chunk)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'close')
  return { bytes, sha256: hash.digest('hex') }
}

/**
 * For a paid card, a wallet that holds one of its keys obtains the content key from the escrow
 * validators and hands it to the node (loopback only), so `folio buy` then `folio fetch` just
 * work. Without a wallet, or for the creator (whose node stored the key at publish), the node's
 * own key store is used as it is.
 */
async function unlockIfHolder (argv: GlobalArgs, rpc: RpcClient, card: Uint8Array): Promise<void> {
  if (argv.wallet == null && process.env.FOLIO_WALLET == null) return
  const esc = await fetchCardEscrow(rpc, card)
  if (esc.contentKey !== null || esc.escrow === null) return
  const acct = await wallet(argv)
  const held = await heldToken(rpc, acct.address, card)
  if (held === undefined) return
  await unlockCard(rpc, acct, card, { token: held, store: true })
}

interface PublishFields {
  kind: string
  title: string
  body?: string
  tags: string[]
  price: bigint
  supply?: number
  royaltyBps?: number
  seedShareBps?: number
  sliceSize: number
  preview: Uint8Array
  previewRoot: Uint8Array | null
  mime?: string
}

/** Slices, encrypts and uploads one file to the node, then registers its card (escrowing a paid key). */
async function publishContent (argv: GlobalArgs & { wait?: boolean }, rpc: RpcClient, acct: Awaited<ReturnType<typeof wallet>>, path: string, f: PublishFields): Promise<{ card: Uint8Array, sent: Awaited<ReturnType<typeof sendTx>>, layout: Awaited<ReturnType<typeof prepareContent>>['layout'] }> {
  const info = await stat(path).catch(() => { throw new CliError('USAGE', `cannot read ${path}`) })
  if (!info.isFile() || info.size === 0) throw new CliError('USAGE', `${path} is not a non-empty file`)
  const started = Date.now()
  const prepared = await prepareContent(path, contentMaster(acct), f.sliceSize)
  const { layout } = prepared
  // a paid card's key is escrowed with the validators; only a free card carries it in clear
  const escrowed = f.price === 0n ? null : await escrowForPublish(rpc, prepared.key)
  const body = publishBody({
    ...(escrowed !== null ? { escrow: escrowed.escrow, keyCommitment: escrowed.keyCommitment } : {}),
    kind: f.kind as CardKind, title: f.title, body: f.body, tags: f.tags, mime: f.mime ?? mimeOf(path),
    size: layout.size, sliceSize: layout.sliceSize, sliceCount: layout.sliceCount, contentRoot: layout.contentRoot,
    preview: f.preview, previewRoot: f.previewRoot, price: f.price, supply: f.supply, royaltyBps: f.royaltyBps, seedShareBps: f.seedShareBps,
    keySalt: prepared.keySalt, contentKey: f.price === 0n ? prepared.key : null
  })
  const params = await fetchParams(rpc)
  const acctInfo = await rpc.call('account_get', { address: encodeAddress(acct.address) })
  const tx = buildTx(acct, params, 'card.publish', body, BigInt(acctInfo.pendingNonce ?? acctInfo.nonce))
  const card = txId(tx)
  await uploadContent({ baseUrl: httpBase(argv), card, path, prepared, storeKey: true, onProgress: (n) => { progressLine(argv, n, layout.size, started) } })
  endProgress(argv)
  const sent = await sendTx(rpc, tx, { wait: argv.wait })
  if (sent.result != null && !sent.result.ok) throw new CliError('FAILED', `card.publish ${sent.hash} failed: ${sent.result.message ?? sent.result.code ?? 'rejected'}`)
  return { card, sent, layout }
}

export function swarmCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  const waitOpt = { type: 'boolean', default: true, describe: 'wait until the transaction is committed (--no-wait to return at once)' } as const
  return y
    .command('publish <file>', 'publish a file as a hash card: slice, encrypt, upload to your node, register the card', (a) => a
      .positional('file', { type: 'string', demandOption: true })
      .option('title', { type: 'string', demandOption: true })
      .option('kind', { choices: CARD_KINDS, default: 'other' as CardKind })
      .option('body', { type: 'string', default: '', describe: 'description (≤ 2,000 characters)' })
      .option('tag', { type: 'string', array: true })
      .option('mime', { type: 'string', describe: 'MIME type (default: from the file name)' })
      .option('price', { type: 'string', default: '0', describe: 'key price: ufol, or FOL with a suffix (2fol); 0 = free, the key goes in the card' })
      .option('supply', { type: 'number', default: 0, describe: 'keys that may be minted (0 = unlimited)' })
      .option('royalty-bps', { type: 'number', default: 0 })
      .option('seed-share-bps', { type: 'number', default: 0 })
      .option('preview', { type: 'string', describe: 'file with an inline preview (≤ 64 KiB)' })
      .option('preview-clip', { type: 'string', describe: 'a free preview clip (video/audio): published as its own free card that previewRoot names' })
      .option('slice-size', { type: 'number', default: 262_144, describe: 'slice size in bytes (a power of two, 16 KiB … 4 MiB)' })
      .option('wait', waitOpt),
    async (argv) => {
      const path = resolve(argv.file)
      const acct = await wallet(argv)
      const rpc = client(argv)
      const price = parseAmount(argv.price)
      const common = {
        kind: argv.kind, tags: (argv.tag ?? []).map(String), supply: argv.supply,
        royaltyBps: argv['royalty-bps'], seedShareBps: argv['seed-share-bps'], sliceSize: argv['slice-size']
      }
      // a free preview clip is its own free card; the paid card points at it with previewRoot
      let previewRoot: Uint8Array | null = null
      if (argv['preview-clip'] != null) {
        const clip = await publishContent(argv, rpc, acct, resolve(argv['preview-clip']), {
          ...common, title: `preview: ${argv.title}`.slice(0, 200), body: '', price: 0n, supply: 0, preview: new Uint8Array(0), previewRoot: null
        })
        previewRoot = clip.card
      }
      const preview = argv.preview != null ? new Uint8Array(await readFile(resolve(argv.preview))) : new Uint8Array(0)
      const { card, sent, layout } = await publishContent(argv, rpc, acct, path, { ...common, title: argv.title, body: argv.body, price, preview, previewRoot, mime: argv.mime })
      output(argv, { card: toHex(card), hash: sent.hash, height: sent.height ?? null, previewRoot: previewRoot === null ? null : toHex(previewRoot) },
        `published card ${toHex(card)} (${mib(layout.size)}, ${layout.sliceCount} slices, ${price === 0n ? 'free' : `${price} ufol per key`})` +
        (previewRoot !== null ? `\n  free preview clip: card ${toHex(previewRoot)}` : '') +
        (sent.height != null ? `\n  committed at height ${sent.height}` : `\n  submitted tx ${sent.hash}`))
    })
    .command('fetch <card>', 'download a card\'s content through your node and write it to a file', (a) => a
      .positional('card', { type: 'string', demandOption: true })
      .option('out', { type: 'string', demandOption: true, describe: 'file to write' }),
    async (argv) => {
      const card = cardArg(argv.card)
      const rpc = client(argv)
      const started = Date.now()
      await unlockIfHolder(argv, rpc, card)
      let p = await rpc.call('swarm_fetch', { card: toHex(card) })
      while (p.complete !== true) {
        await new Promise(resolve => setTimeout(resolve, 250))
        p = await rpc.call('swarm_progress', { card: toHex(card) })
        progressLine(argv, Math.min(p.size, p.have * (p.size / p.sliceCount)), p.size, started, p.peers)
      }
      endProgress(argv)
      const { bytes, sha256 } = await download(`${httpBase(argv)}/content/${toHex(card)}`, resolve(argv.out))
      output(argv, { card: toHex(card), bytes, sha256 }, `wrote ${bytes} bytes to ${argv.out}\n  sha256 ${sha256}`)
    })
    .command('stream <card>', 'print the local playback URL of a card (or --pipe the bytes to stdout)', (a) => a
      .positional('card', { type: 'string', demandOption: true })
      .option('pipe', { type: 'boolean', default: false, describe: 'write the decrypted content to stdout' }),
    async (argv) => {
      const card = cardArg(argv.card)
      const url = `${httpBase(argv)}/content/${toHex(card)}`
      await unlockIfHolder(argv, client(argv), card)
      await client(argv).call('swarm_progress', { card: toHex(card) })
      if (argv.pipe !== true) { output(argv, { card: toHex(card), url }, url); return }
      const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => { get(url, resolve).on('error', reject) })
      if (res.statusCode !== 200) throw new CliError('FAILED', `the node could not serve the content (HTTP ${res.statusCode ?? '?'})`)
      for await (const chunk of res) if (!process.stdout.write(chunk)) await once(process.stdout, 'drain')
    })
    .command('seed <card>', 'fetch a card if needed, serve it and announce it on chain until stopped (Ctrl-C withdraws)', (a) => a
      .positional('card', { type: 'string', demandOption: true })
      .option('ttl', { type: 'number', default: 600, describe: 'blocks each announcement lasts; renewed at half-life' })
      .option('price-per-mib', { type: 'string', default: '0', describe: 'asking price per MiB served (ufol)' }),
    async (argv) => {
      const card = cardArg(argv.card)
      const rpc = client(argv)
      const acct = await wallet(argv)
      const seed = await rpc.call('swarm_seed', { card: toHex(card) })
      const multiaddrs: string[] = (seed.multiaddrs as string[]).filter(a => a.includes('/p2p/')).slice(0, 8)
      if (multiaddrs.length === 0) throw new CliError('FAILED', 'the node reports no dialable slice-service address')
      const announce = async (): Promise<{ hash: string, height?: number }> =>
        await submit(rpc, acct, 'seed.announce', { card, multiaddrs, pricePerMiB: parseAmount(argv['price-per-mib']), ttl: argv.ttl })
      let last = await announce()
      output(argv, { card: toHex(card), hash: last.hash, height: last.height ?? null, multiaddrs }, `seeding ${toHex(card)} at\n  ${multiaddrs.join('\n  ')}\n  announced at height ${last.height ?? '?'}; Ctrl-C to stop`)
      const stop = new AbortController()
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { stop.abort() })
      while (!stop.signal.aborted) {
        await new Promise(resolve => { const t = setTimeout(resolve, 2_000); stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(null) }, { once: true }) })
        if (stop.signal.aborted) break
        const info = await rpc.call('chain_info').catch(() => null)
        if (info != null && last.height != null && info.height >= last.height + Math.floor(argv.ttl / 2)) last = await announce().catch(() => last)
      }
      await submit(rpc, acct, 'seed.withdraw', { card }).catch(() => {})
      if (argv.json !== true) process.stderr.write('withdrew the announcement\n')
    })
    .command('seeders <card>', 'show who seeds a card (at a height)', (a) => a
      .positional('card', { type: 'string', demandOption: true })
      .option('height', { type: 'number' }),
    async (argv) => {
      const r = await client(argv).call('seeders_get', { card: toHex(cardArg(argv.card)), ...(argv.height != null ? { height: argv.height } : {}) })
      output(argv, r, () => r.seeders.length === 0
        ? `no live seeders at height ${r.height}`
        : r.seeders.map((s: any) => `${s.address}  ${s.pricePerMiB} ufol/MiB  until ${s.expires}\n  ${s.multiaddrs.join('\n  ')}`).join('\n'))
    })
}
