/**
 * WebTorrent single-seeder transfer on loopback, for bench/swarm.ts: one client seeds the buffer,
 * a second downloads it over TCP (no DHT, no trackers, no WebRTC, no uTP), and the MB/s from the
 * moment the download is added until it is done is returned.
 */
import WebTorrent from 'webtorrent'

export async function singleSeederMBps (data) {
  const opts = { dht: false, tracker: false, lsd: false, webSeeds: false, utp: false, natUpnp: false, natPmp: false }
  const seeder = new WebTorrent(opts)
  const leecher = new WebTorrent(opts)
  try {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    buf.name = 'bench.bin'
    const seeded = await new Promise((resolve, reject) => {
      seeder.on('error', reject)
      seeder.seed(buf, { name: 'bench.bin', announce: [] }, resolve)
    })
    await new Promise(resolve => { if (seeder.listening) resolve(); else seeder.once('listening', resolve) })
    const port = seeder.address().port
    const t0 = performance.now()
    await new Promise((resolve, reject) => {
      leecher.on('error', reject)
      const t = leecher.add(seeded.magnetURI, { store: MemoryChunkStore(), announce: [] })
      t.on('error', reject)
      t.on('infoHash', () => { t.addPeer(`127.0.0.1:${port}`) })
      t.on('done', resolve)
    })
    return data.byteLength / 1e6 / ((performance.now() - t0) / 1000)
  } finally {
    await Promise.all([new Promise(r => seeder.destroy(r)), new Promise(r => leecher.destroy(r))])
  }
}

/** An in-memory chunk store, so the comparison measures the protocol and not the disk. */
function MemoryChunkStore () {
  return function Store (chunkLength) {
    const chunks = []
    return {
      chunkLength,
      put (i, buf, cb) { chunks[i] = buf; queueMicrotask(() => cb?.(null)) },
      get (i, opts, cb) {
        if (typeof opts === 'function') { cb = opts; opts = null }
        const c = chunks[i]
        if (c == null) { queueMicrotask(() => cb(new Error('missing chunk'))); return }
        const out = opts == null ? c : c.subarray(opts.offset ?? 0, (opts.offset ?? 0) + (opts.length ?? c.length))
        queueMicrotask(() => cb(null, out))
      },
      close (cb) { queueMicrotask(() => cb?.(null)) },
      destroy (cb) { chunks.length = 0; queueMicrotask(() => cb?.(null)) }
    }
  }
}
