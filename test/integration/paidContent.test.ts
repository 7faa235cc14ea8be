/**
 * The whole story of a paid card, through the CLI as a user runs it: a creator publishes an
 * encrypted file to the validator's node (its key escrowed with the validators, not on chain),
 * announces it as a seeder; a buyer on another node buys a key with `folio buy`, and
 * `folio fetch` obtains the content key from the escrow validator, downloads the slices through
 * the swarm and writes the exact bytes. A non-holder gets nothing. The free preview clip is listed
 * by `folio seeders` and played by `folio stream` (its URL, and `--pipe` to stdout) by anyone.
 */
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import type { Libp2p } from '@libp2p/interface'
import { startTestNode, waitFor, type TestNode } from '../helpers/node.js'
import { networkModule } from '../../src/node/networkModule.js'
import { swarmModule } from '../../src/node/swarmModule.js'
import { escrowModule } from '../../src/node/escrowModule.js'
import { devnetFaucetKey } from '../../src/node/devnetKeys.js'
import { submit } from '../../src/client/tx.js'
import { writeWallet } from '../../src/node/keys.js'
import { accountFromSecretKey, ed25519Generate, encodeAddress } from '../../src/crypto/index.js'
import { fromHex } from '../../src/codec/index.js'

const run = promisify(execFile)
const BIN = resolve('bin/folio.js')

async function folio (args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [BIN, ...args, '--json'], { timeout: 60_000 })
  return JSON.parse(stdout)
}

describe('integration: a paid card, bought and fetched through the CLI', function () {
  this.timeout(120_000)
  let dir: string
  let a: TestNode
  let b: TestNode

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'folio-paid-'))
    a = await startTestNode({ modules: [networkModule(), swarmModule, escrowModule] })
    const libp2p = a.node.shared.get('libp2p') as Libp2p
    const addr = libp2p.getMultiaddrs().map(String).find(m => m.includes('127.0.0.1')) as string
    b = await startTestNode({ modules: [networkModule(), swarmModule, escrowModule], validator: false, bootstrap: [addr] })
  })
  after(async () => {
    await b?.stop()
    await a?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('the buyer fetches the exact bytes; a non-holder cannot', async () => {
    const creator = accountFromSecretKey(ed25519Generate().secretKey)
    const buyer = accountFromSecretKey(ed25519Generate().secretKey)
    const stranger = accountFromSecretKey(ed25519Generate().secretKey)
    const wallets = { creator: join(dir, 'creator.json'), buyer: join(dir, 'buyer.json'), stranger: join(dir, 'stranger.json') }
    await writeWallet(wallets.creator, creator)
    await writeWallet(wallets.buyer, buyer)
    await writeWallet(wallets.stranger, stranger)
    for (const who of [creator, buyer, stranger]) await submit(a.rpc, devnetFaucetKey(), 'transfer', { to: who.address, amount: 100_000_000n })

    const content = randomBytes(3 * 1024 * 1024 + 12_345)
    const file = join(dir, 'film.bin')
    await writeFile(file, content)
    const clip = randomBytes(200_000)
    const clipFile = join(dir, 'trailer.bin')
    await writeFile(clipFile, clip)
    const pub = await folio(['publish', file, '--title', 'A film', '--kind', 'video', '--price', '2fol', '--preview-clip', clipFile, '--wallet', wallets.creator, '--rpc', a.url])
    expect(pub.card).to.match(/^0x[0-9a-f]{64}$/)
    expect(pub.previewRoot).to.match(/^0x[0-9a-f]{64}$/)
    const esc = await a.rpc.call('escrow_get', { card: pub.card })
    expect(esc.contentKey).to.equal(null)
    expect(esc.threshold).to.equal(1)

    const status = await a.rpc.call('swarm_status')
    await submit(a.rpc, creator, 'seed.announce', { card: fromHex(pub.card, 32), multiaddrs: status.addresses.slice(0, 4), pricePerMiB: 0n, ttl: 1000 })

    // the buyer's node follows the chain by sync and gossip
    await waitFor(async () => (await b.rpc.call('chain_info')).height >= (await a.rpc.call('chain_info')).height, 20_000, 'node b to catch up')

    // the free preview clip is open to anyone, through any node
    await submit(a.rpc, creator, 'seed.announce', { card: fromHex(pub.previewRoot, 32), multiaddrs: status.addresses.slice(0, 4), pricePerMiB: 0n, ttl: 1000 })
    await waitFor(async () => (await b.rpc.call('chain_info')).height >= (await a.rpc.call('chain_info')).height, 20_000, 'node b to see the clip seeded')
    const trailer = await folio(['fetch', pub.previewRoot, '--out', join(dir, 'trailer.copy'), '--wallet', wallets.stranger, '--rpc', b.url])
    expect(trailer.sha256.replace(/^0x/, '')).to.equal(createHash('sha256').update(clip).digest('hex'))
    // `folio seeders` lists the announcement; `folio stream` prints a playback URL that serves the
    // clip, and `--pipe` writes its bytes to stdout.
    const seeders = await folio(['seeders', pub.previewRoot, '--rpc', b.url])
    expect(seeders.seeders.map((x: { address: string }) => x.address)).to.deep.equal([encodeAddress(creator.address)])
    expect(seeders.seeders[0].multiaddrs).to.deep.equal(status.addresses.slice(0, 4))
    const streamed = await folio(['stream', pub.previewRoot, '--wallet', wallets.stranger, '--rpc', b.url])
    expect(streamed.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/content\/0x[0-9a-f]{64}$/)
    const played = await fetch(streamed.url)
    expect(played.status).to.equal(200)
    expect(Buffer.compare(Buffer.from(await played.arrayBuffer()), clip)).to.equal(0)
    const piped = await run(process.execPath, [BIN, 'stream', pub.previewRoot, '--pipe', '--wallet', wallets.stranger, '--rpc', b.url], { timeout: 30_000, encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 })
    expect(Buffer.compare(piped.stdout, clip)).to.equal(0)

    const stranger1 = await run(process.execPath, [BIN, 'fetch', pub.card, '--out', join(dir, 'no.bin'), '--wallet', wallets.stranger, '--rpc', b.url, '--json'], { timeout: 30_000 }).then(() => null, (e) => e)
    expect(stranger1, 'a stranger must not get the content').to.not.equal(null)

    const bought = await folio(['buy', pub.card, '--wallet', wallets.buyer, '--rpc', a.url])
    expect(bought.token).to.match(/^0x[0-9a-f]{80}$/)
    await waitFor(async () => (await b.rpc.call('chain_info')).height >= bought.height, 20_000, 'node b to see the purchase')

    const out = join(dir, 'copy.bin')
    const fetched = await folio(['fetch', pub.card, '--out', out, '--wallet', wallets.buyer, '--rpc', b.url])
    const expected = createHash('sha256').update(content).digest('hex')
    expect(fetched.bytes).to.equal(content.length)
    expect(fetched.sha256.replace(/^0x/, '')).to.equal(expected)
    expect(createHash('sha256').update(await readFile(out)).digest('hex')).to.equal(expected)
  })
})
