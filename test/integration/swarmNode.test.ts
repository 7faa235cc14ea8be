/**
 * The swarm inside a real node (in-process, HTTP and libp2p on 127.0.0.1): `folio publish`'s path
 * (slice and seal with the wallet, PUT /slices, card.publish), playback with HTTP Range (exact
 * bytes, seeks, suffix ranges, invalid and unsatisfiable ranges, unknown cards), a second
 * node-less peer fetching through the seeder map, announcements expiring from seeders_get, and a
 * site card (a tar archive made by the system's tar) served file by file at /site/<card>/<path>.
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { publishBody, txId } from '../../src/blocks/index.js'
import { buildTx, fetchParams, sendTx, submit } from '../../src/client/tx.js'
import { encodeAddress } from '../../src/crypto/index.js'
import { toHex } from '../../src/codec/index.js'
import { swarmModule } from '../../src/node/swarmModule.js'
import { feedModule } from '../../src/node/feedModule.js'
import { devnetFaucetKey } from '../../src/node/devnetKeys.js'
import { contentMaster, prepareContent, uploadContent } from '../../src/torrent/publisher.js'
import { chainCardSource, chainSeederSource } from '../../src/torrent/chainSources.js'
import { Swarm } from '../../src/torrent/swarm.js'
import { freeCardKeys } from '../../src/torrent/sources.js'
import { startTestNode, waitFor, type TestNode } from '../helpers/node.js'
import { startPeer, type Peer } from '../unit/swarm/fixtures.js'

describe('swarm in a node: publish, playback with Range, seeder map', function () {
  this.timeout(60_000)
  let node: TestNode
  let dir: string
  let base: string
  let card: string
  const data = new Uint8Array(randomBytes(3 * 262_144 + 5_000))
  const peers: Peer[] = []

  before(async () => {
    node = await startTestNode({ modules: [swarmModule, feedModule] })
    base = node.url.replace(/\/rpc$/, '')
    dir = await mkdtemp(join(tmpdir(), 'folio-swarm-node-'))
    const file = join(dir, 'clip.mp4')
    await writeFile(file, data)
    card = await publishFile(file, 'video', 'video/mp4')
  })

  /** `folio publish`'s path for a free card: seal with the wallet's key, upload, card.publish. */
  async function publishFile (file: string, kind: 'video' | 'site', mime: string): Promise<string> {
    const acct = devnetFaucetKey()
    const prepared = await prepareContent(file, contentMaster(acct))
    const { layout } = prepared
    const body = publishBody({
      kind, title: kind, mime, size: layout.size, sliceSize: layout.sliceSize, sliceCount: layout.sliceCount,
      contentRoot: layout.contentRoot, keySalt: prepared.keySalt, contentKey: prepared.key
    })
    const params = await fetchParams(node.rpc)
    const a = await node.rpc.call('account_get', { address: encodeAddress(acct.address) })
    const tx = buildTx(acct, params, 'card.publish', body, BigInt(a.pendingNonce ?? a.nonce))
    await uploadContent({ baseUrl: base, card: txId(tx), path: file, prepared, storeKey: true })
    const sent = await sendTx(node.rpc, tx, { wait: true })
    expect(sent.result?.ok).to.equal(true)
    return toHex(txId(tx))
  }

  after(async () => {
    await Promise.all(peers.map(async p => { await p.stop() }))
    await node?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const get = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number, body: Buffer, headers: Headers }> => {
    const res = await fetch(`${base}${path}`, { headers })
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers }
  }

  it('serves the whole content and exact byte ranges', async () => {
    const all = await get(`/content/${card}`)
    expect(all.status).to.equal(200)
    expect(all.headers.get('content-type')).to.equal('video/mp4')
    expect(all.headers.get('accept-ranges')).to.equal('bytes')
    expect(createHash('sha256').update(all.body).digest('hex')).to.equal(createHash('sha256').update(data).digest('hex'))
    for (const [range, from, to] of [['bytes=0-0', 0, 0], ['bytes=262140-262150', 262_140, 262_150], ['bytes=700000-', 700_000, data.length - 1], ['bytes=-10', data.length - 10, data.length - 1], ['bytes=5-99999999', 5, data.length - 1]] as const) {
      const r = await get(`/content/${card}`, { range })
      expect(r.status, range).to.equal(206)
      expect(r.headers.get('content-range')).to.equal(`bytes ${from}-${to}/${data.length}`)
      expect(Buffer.compare(r.body, Buffer.from(data.subarray(from, to + 1))), range).to.equal(0)
    }
  })

  it('answers HEAD with the headers of the same GET and no body', async () => {
    const all = await fetch(`${base}/content/${card}`, { method: 'HEAD' })
    expect(all.status).to.equal(200)
    expect(all.headers.get('content-length')).to.equal(String(data.length))
    expect(all.headers.get('content-type')).to.equal('video/mp4')
    expect((await all.arrayBuffer()).byteLength).to.equal(0)
    const part = await fetch(`${base}/content/${card}`, { method: 'HEAD', headers: { range: 'bytes=10-19' } })
    expect(part.status).to.equal(206)
    expect(part.headers.get('content-range')).to.equal(`bytes 10-19/${data.length}`)
    expect(part.headers.get('content-length')).to.equal('10')
  })

  it('refuses bad ranges, unknown cards and bad ids with clear errors', async () => {
    const past = await get(`/content/${card}`, { range: `bytes=${data.length}-` })
    expect(past.status).to.equal(416)
    expect(past.headers.get('content-range')).to.equal(`bytes */${data.length}`)
    expect(JSON.parse(past.body.toString()).error).to.match(/not satisfiable/)
    for (const range of ['bytes=abc', 'items=0-5', 'bytes=-', 'bytes=0-1,5-9']) {
      const r = await get(`/content/${card}`, { range })
      expect(r.status, range).to.equal(400)
      expect(JSON.parse(r.body.toString()).error, range).to.be.a('string').and.not.equal('')
    }
    expect((await get(`/content/${card}`, { range: 'bytes=9-3' })).status).to.equal(416)
    const unknown = await get(`/content/0x${'ab'.repeat(32)}`)
    expect(unknown.status).to.equal(404)
    expect(JSON.parse(unknown.body.toString()).error).to.match(/does not exist/)
    expect((await get('/content/nothex')).status).to.equal(400)
    const put = await fetch(`${base}/slices/${card}`, { method: 'PUT', headers: { 'x-folio-size': '-1' }, body: 'x' })
    expect(put.status).to.equal(400)
  })

  it('a peer fetches through the seeder map; announcements expire from seeders_get', async () => {
    const status = await node.rpc.call('swarm_status')
    expect(status.store.cards).to.equal(1)
    const acct = devnetFaucetKey()
    const id = Uint8Array.from(Buffer.from(card.slice(2), 'hex'))
    const sent = await submit(node.rpc, acct, 'seed.announce', { card: id, multiaddrs: status.addresses.slice(0, 8), pricePerMiB: 0n, ttl: 3 })
    const at = sent.height!
    const now = await node.rpc.call('seeders_get', { card })
    expect(now.seeders).to.have.length(1)
    expect(now.seeders[0]).to.include({ address: encodeAddress(acct.address), since: at, expires: at + 3 })
    expect((await node.rpc.call('card_get', { card })).counters.seeders).to.equal(1)

    const viewer = await startPeer()
    peers.push(viewer)
    const chain = node.node.chain
    const swarm = new Swarm({ exchange: viewer.exchange, cards: chainCardSource(chain), seeders: chainSeederSource(chain), keys: freeCardKeys })
    await swarm.fetch(id)
    const info = await swarm.card(id)
    const parts: Uint8Array[] = []
    for await (const p of swarm.read(info, 1000, 1999)) parts.push(p)
    expect(Buffer.compare(Buffer.concat(parts), Buffer.from(data.subarray(1000, 2000)))).to.equal(0)

    await waitFor(async () => (await node.rpc.call('chain_info')).height >= at + 3, 20_000, 'the announcement to expire')
    expect((await node.rpc.call('seeders_get', { card })).seeders).to.have.length(0)
    expect((await node.rpc.call('seeders_get', { card, height: at })).seeders).to.have.length(1)
    expect((await node.rpc.call('card_get', { card })).counters.seeders).to.equal(0)
  })

  it('serves a site card file by file with MIME types, index.html for directories, 404 and 400 otherwise', async () => {
    // A real archive from the system's tar, as `tar -cf site.tar -C dist .` would make it; one file
    // is large enough to span slices, one name is too long for a plain ustar header.
    const dist = join(dir, 'dist')
    const longDir = 'a-rather-long-folder-name-that-keeps-going/and-another-level-below-it-to-pass-one-hundred-bytes'
    const files: Record<string, Uint8Array> = {
      'index.html': new TextEncoder().encode('<!doctype html><title>home</title>'),
      'css/site.css': new TextEncoder().encode('body { color: #123 }'),
      'docs/index.html': new TextEncoder().encode('<h1>docs</h1>'),
      'img/photo.webp': new Uint8Array(randomBytes(600_000)),
      'data/blob.bin': new Uint8Array(randomBytes(700)),
      [`${longDir}/page.json`]: new TextEncoder().encode('{"deep":true}')
    }
    for (const [path, bytes] of Object.entries(files)) {
      await mkdir(join(dist, path, '..'), { recursive: true })
      await writeFile(join(dist, path), bytes)
    }
    const archive = join(dir, 'site.tar')
    execFileSync('tar', ['-cf', archive, '-C', dist, '.'])
    const site = await publishFile(archive, 'site', 'application/x-tar')

    const expectFile = async (url: string, path: string, mime: string): Promise<void> => {
      const r = await get(`/site/${site}/${url}`)
      expect(r.status, url).to.equal(200)
      expect(r.headers.get('content-type'), url).to.equal(mime)
      expect(Buffer.compare(r.body, Buffer.from(files[path]!)), url).to.equal(0)
    }
    await expectFile('', 'index.html', 'text/html; charset=utf-8')
    await expectFile('index.html', 'index.html', 'text/html; charset=utf-8')
    await expectFile('css/site.css', 'css/site.css', 'text/css; charset=utf-8')
    await expectFile('docs', 'docs/index.html', 'text/html; charset=utf-8')
    await expectFile('docs/', 'docs/index.html', 'text/html; charset=utf-8')
    await expectFile('img/photo.webp', 'img/photo.webp', 'image/webp')
    await expectFile('data/blob.bin', 'data/blob.bin', 'application/octet-stream')
    await expectFile(`${longDir}/page.json`, `${longDir}/page.json`, 'application/json; charset=utf-8')
    await expectFile('css/../css/./site.css', 'css/site.css', 'text/css; charset=utf-8')

    const missing = await get(`/site/${site}/nothing.html`)
    expect(missing.status).to.equal(404)
    expect(JSON.parse(missing.body.toString()).error).to.match(/no file/)
    // Climbing out of the archive finds nothing (fetch would normalise a literal "..", so encode it).
    expect((await get(`/site/${site}/%2e%2e/%2e%2e/etc/passwd`)).status).to.equal(404)
    const notSite = await get(`/site/${card}/index.html`)
    expect(notSite.status).to.equal(400)
    expect(JSON.parse(notSite.body.toString()).error).to.match(/not a site/)
    expect((await get(`/site/0x${'cd'.repeat(32)}/index.html`)).status).to.equal(404)
    const head = await fetch(`${base}/site/${site}/css/site.css`, { method: 'HEAD' })
    expect(head.status).to.equal(200)
    expect(head.headers.get('content-length')).to.equal(String(files['css/site.css']!.length))
  })
})
