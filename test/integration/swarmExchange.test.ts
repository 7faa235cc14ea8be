/**
 * The slice exchange between real libp2p nodes on 127.0.0.1: a bulk download from one and from
 * three seeders, a keyless seeder serving what it fetched, and a seeder sending forged slices.
 */
import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { Download } from '../../src/torrent/fetcher.js'
import { staticSeeders } from '../../src/torrent/sources.js'
import { decryptSlice } from '../../src/torrent/contentKey.js'
import { startPeer, publishInto, randomContent, type Peer } from '../unit/swarm/fixtures.js'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function readAll (peer: Peer, card: Uint8Array, count: number, key: Uint8Array | null): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const sealed = await peer.store.get(card, i)
    if (sealed == null) throw new Error(`slice ${i} missing`)
    parts.push(key == null ? sealed : decryptSlice(key, i, sealed))
  }
  return Buffer.concat(parts)
}

describe('slice exchange over libp2p (loopback)', function () {
  this.timeout(60_000)
  const peers: Peer[] = []
  afterEach(async () => { await Promise.all(peers.splice(0).map(async p => { await p.stop() })) })

  it('downloads a card byte-identical from one seeder', async () => {
    const [seeder, leecher] = await Promise.all([startPeer(), startPeer()])
    peers.push(seeder, leecher)
    const key = new Uint8Array(32).fill(7)
    const data = randomContent(8 * 1024 * 1024 + 12345)
    const { card, content } = await publishInto(seeder.store, data, key)
    const dl = new Download(leecher.exchange, card, content, { mode: 'bulk', seeders: staticSeeders([seeder.address()]) })
    await dl.start()
    await dl.done
    expect(sha(await readAll(leecher, card, content.sliceCount, key))).to.equal(sha(data))
  })
})
