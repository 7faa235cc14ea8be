/**
 * The slice exchange between real libp2p nodes on 127.0.0.1: a 64 MiB card fetched byte-identical
 * from one seeder and from three at once, a keyless seeder serving what it fetched, a seeder that
 * forges slices (detected, banned, the file still completes, also when its slices come before the
 * leaf layer), a seeder killed mid-playback, and
 * raw protocol abuse (malformed frames, out-of-range requests, absurd lengths, unknown cards).
 */
import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { Swarm } from '../../src/torrent/swarm.js'
import { UploadBudget } from '../../src/torrent/bandwidth.js'
import { SLICE_PROTOCOL, WIRE_VERSION, type WireMessage } from '../../src/torrent/wire.js'
import { WireChannel } from '../../src/torrent/channel.js'
import type { CardContent } from '../../src/torrent/sliceStore.js'
import { startPeer, publishInto, randomContent, cardSwarm, type Peer } from '../unit/swarm/fixtures.js'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const KEY = new Uint8Array(32).fill(7)

function swarmFor (peer: Peer, card: Uint8Array, content: CardContent, seeders: Peer[]): Swarm {
  return cardSwarm(peer, card, content, KEY, async () => seeders.filter(s => s.host.status === 'started').map(s => s.address()))
}

async function readAll (swarm: Swarm, card: Uint8Array): Promise<Uint8Array> {
  const info = await swarm.card(card)
  const parts: Uint8Array[] = []
  for await (const p of swarm.read(info, 0, info.content.size - 1)) parts.push(p)
  return Buffer.concat(parts)
}

describe('slice exchange over libp2p (loopback)', function () {
  this.timeout(60_000)
  const peers: Peer[] = []
  const peer = async (): Promise<Peer> => { const p = await startPeer(); peers.push(p); return p }
  /** A seeder of `card` with the genuine sealed slices and root that flips byte `at` of every slice it serves. */
  const forger = async (data: Uint8Array, card: Uint8Array, at: number): Promise<Peer> => {
    const liar = await peer()
    await publishInto(liar.store, data, KEY, 262_144, card)
    const get = liar.store.get.bind(liar.store)
    liar.store.get = async (c: Uint8Array, i: number): Promise<Uint8Array | undefined> => { const b = await get(c, i); if (b != null) b[at] ^= 1; return b }
    return liar
  }
  afterEach(async () => { await Promise.all(peers.splice(0).map(async p => { await p.stop() })) })

  describe('a 64 MiB card', () => {
    const data = randomContent(64 * 1024 * 1024)

    it('is fetched byte-identical from one seeder, then from three at once', async () => {
      const origin = await peer()
      const { card, content } = await publishInto(origin.store, data, KEY)
      const first = await peer()
      const a = swarmFor(first, card, content, [origin])
      await a.fetch(card)
      expect(sha(await readAll(a, card))).to.equal(sha(data))
      // The first downloader never had the key in its store: it serves ciphertext it verified.
      const second = await peer()
      const b = swarmFor(second, card, content, [origin, first])
      await b.fetch(card)
      const third = await peer()
      const c = swarmFor(third, card, content, [origin, first, second])
      const dl = await c.download(await c.card(card), 'bulk')
      await dl.done
      expect(sha(await readAll(c, card))).to.equal(sha(data))
      const served = [origin, first, second].map(p => p.exchange.stats().servedSlices)
      expect(served.every(n => n > 0), `slices served per seeder: ${served.join(', ')}`).to.equal(true)
      // Endgame copies that cross our cancels are dropped, not held against honest seeders.
      expect(third.exchange.stats()).to.include({ peerFaults: 0, banned: 0 })
      expect(second.exchange.stats()).to.include({ peerFaults: 0, banned: 0 })
    })
  })

  it('drops and bans a seeder that forges slices; the file completes from the others', async () => {
    const data = randomContent(16 * 1024 * 1024)
    const honest = await peer()
    const { card, content } = await publishInto(honest.store, data, KEY)
    const liar = await forger(data, card, 100)
    const viewer = await peer()
    const swarm = swarmFor(viewer, card, content, [liar, honest])
    await swarm.fetch(card)
    expect(sha(await readAll(swarm, card))).to.equal(sha(data))
    expect(viewer.exchange.isBanned(liar.host.peerId.toString())).to.equal(true)
    expect(viewer.exchange.isBanned(honest.host.peerId.toString())).to.equal(false)
    expect(viewer.exchange.stats().peerFaults).to.be.greaterThan(0)
  })

  it('a seeder with an upload budget serves at its rate, and the file is exact', async () => {
    const data = randomContent(3 * 1024 * 1024)
    const rate = 4 * 1024 * 1024
    const burst = 512 * 1024
    const seeder = await startPeer({ exchange: { uploadBudget: new UploadBudget(rate, burst, Date.now()) } })
    peers.push(seeder)
    const { card, content } = await publishInto(seeder.store, data, KEY)
    const viewer = await peer()
    const swarm = swarmFor(viewer, card, content, [seeder])
    const t0 = performance.now()
    await swarm.fetch(card)
    const seconds = (performance.now() - t0) / 1000
    // Everything past the burst waits for tokens: at least (3 MiB - 512 KiB) / 4 MiB/s = 0.625 s.
    expect(seconds).to.be.greaterThan((data.length + 12 * 16 - burst) / rate * 0.95)
    expect(sha(await readAll(swarm, card))).to.equal(sha(data))
  })

  it('holds slices that arrive before the leaf layer, checks them once it is verified, bans a forger', async () => {
    const data = randomContent(8 * 1024 * 1024)
    const honest = await peer()
    const { card, content } = await publishInto(honest.store, data, KEY)
    const liar = await forger(data, card, 7)
    // The liar answers the leaf request late (its leaves are genuine) and serves forged slices at
    // once, so the viewer receives them before it can check anything.
    const leafHashes = liar.store.leafHashes.bind(liar.store)
    liar.store.leafHashes = async (c: Uint8Array) => { await new Promise(resolve => setTimeout(resolve, 300)); return await leafHashes(c) }
    const viewer = await peer()
    const swarm = swarmFor(viewer, card, content, [liar, honest])
    const info = await swarm.card(card)
    const it = swarm.read(info, 0, content.size - 1)
    const first = await it.next()
    expect(Buffer.compare(first.value as Uint8Array, data.subarray(0, content.sliceSize))).to.equal(0)
    await it.return(undefined)
    await swarm.fetch(card)
    expect(sha(await readAll(swarm, card))).to.equal(sha(data))
    expect(liar.exchange.stats().servedSlices).to.be.greaterThan(0)
    expect(viewer.exchange.isBanned(liar.host.peerId.toString())).to.equal(true)
  })

  it('answers protocol abuse with a clear reject or a dropped stream, and keeps serving others', async () => {
    const seeder = await peer()
    const { card, content } = await publishInto(seeder.store, randomContent(1024 * 1024), KEY)
    async function open (attacker: Peer): Promise<{ ch: WireChannel, got: WireMessage[], closed: Promise<void> }> {
      const stream = await attacker.host.dialProtocol(seeder.host.getMultiaddrs(), SLICE_PROTOCOL)
      const got: WireMessage[] = []
      let done!: () => void
      const closed = new Promise<void>(resolve => { done = resolve })
      const ch = new WireChannel(stream, { onMessage: (m) => { got.push(m) }, onError: () => {}, onClose: () => { done() } })
      return { ch, got, closed }
    }
    const until = async (cond: () => boolean): Promise<void> => {
      const deadline = Date.now() + 10_000
      while (!cond()) {
        if (Date.now() > deadline) throw new Error('timed out')
        await new Promise(resolve => setTimeout(resolve, 5))
      }
    }

    // unknown card: a polite reject
    const unknown = new Uint8Array(32).fill(0xee)
    const polite = await peer()
    const a = await open(polite)
    await a.ch.send({ type: 'handshake', version: WIRE_VERSION, cards: [unknown], maxInFlight: 0 })
    await until(() => a.got.some(m => m.type === 'reject'))
    expect(a.got.find(m => m.type === 'reject')).to.deep.include({ reason: 'unknown-card' })
    // a request for a card the handshake did not name: rejected, not served
    await a.ch.send({ type: 'request', card, index: 0 })
    await until(() => a.got.filter(m => m.type === 'reject').length === 2)
    await a.ch.close()

    expect(seeder.exchange.isBanned(polite.host.peerId.toString())).to.equal(false)

    // Each abuse below is a peer fault: the stream is dropped and the sender banned.
    const attackers = [await peer(), await peer(), await peer()]
    // malformed frame bytes
    const b = await open(attackers[0]!)
    b.ch.stream.send(Uint8Array.of(5, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1))
    await b.closed
    // an absurd length prefix (1 GiB): refused before any body is buffered
    const c = await open(attackers[1]!)
    c.ch.stream.send(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x04))
    await c.closed
    // a request past the card's last slice
    const d = await open(attackers[2]!)
    await d.ch.send({ type: 'handshake', version: WIRE_VERSION, cards: [card], maxInFlight: 0 })
    await until(() => d.got.some(m => m.type === 'bitfield'))
    await d.ch.send({ type: 'request', card, index: content.sliceCount + 5 })
    await d.closed
    // the seeder drops the stream and records the ban in either order: wait for the ban itself
    for (const x of attackers) await until(() => seeder.exchange.isBanned(x.host.peerId.toString()))
    for (const x of attackers) expect(seeder.exchange.isBanned(x.host.peerId.toString())).to.equal(true)

    // the seeder still serves an honest peer
    const honest = await peer()
    const swarm = swarmFor(honest, card, content, [seeder])
    await swarm.fetch(card)
    expect(swarm.isComplete(card, content.sliceCount)).to.equal(true)
  })

  it('a cold peer seeks into the middle before it has the leaf layer', async () => {
    const data = randomContent(16 * 1024 * 1024)
    const origin = await peer()
    const { card, content } = await publishInto(origin.store, data, KEY)
    const viewer = await peer()
    const swarm = swarmFor(viewer, card, content, [origin])
    const info = await swarm.card(card)
    const from = 11 * 1024 * 1024 + 77
    const parts: Uint8Array[] = []
    for await (const p of swarm.read(info, from, from + 300_000)) parts.push(p)
    expect(Buffer.compare(Buffer.concat(parts), Buffer.from(data.subarray(from, from + 300_001)))).to.equal(0)
    swarm.stop()
  })

  it('keeps playing when one of three seeders is killed mid-stream', async () => {
    const data = randomContent(24 * 1024 * 1024)
    const origin = await peer()
    const { card, content } = await publishInto(origin.store, data, KEY)
    const s2 = await peer()
    const s3 = await peer()
    for (const s of [s2, s3]) await swarmFor(s, card, content, [origin]).fetch(card)
    const viewer = await peer()
    const swarm = swarmFor(viewer, card, content, [origin, s2, s3])
    const info = await swarm.card(card)
    const parts: Uint8Array[] = []
    let bytes = 0
    for await (const p of swarm.read(info, 0, content.size - 1)) {
      parts.push(p)
      bytes += p.length
      if (bytes >= content.size / 3 && s2.host.status === 'started') await s2.stop()
    }
    expect(sha(Buffer.concat(parts))).to.equal(sha(data))
  })
})
