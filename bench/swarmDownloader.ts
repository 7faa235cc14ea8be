/**
 * A folio downloader in its own process, for bench/swarm.ts's "each system in its own processes"
 * layout: this process runs nothing but folio downloads. Each `download` message starts a fresh peer
 * (slice store in a temp folder, swarm host on 127.0.0.1), fetches the card in bulk from the given
 * seeder with `Swarm.fetch`, checks that every slice is present, stops the peer and answers with
 * the transfer's MB/s, its milliseconds, this process's CPU time (user + system, all threads)
 * and its garbage-collection pauses during the transfer. The clock runs from the `fetch` call until every slice is on disk, as in
 * bench/swarm.ts's other folio rows; starting and stopping the peer are outside it.
 *
 * Run by bench/swarm.ts through child_process.fork with the parent's --import flags.
 */
import { countBits } from '../src/torrent/bitfield.js'
import type { SeederAddress } from '../src/torrent/sources.js'
import type { CardContent } from '../src/torrent/sliceStore.js'
import { cardSwarm, startPeer } from '../test/unit/swarm/fixtures.js'
import { gcCounter } from './lib.js'

const readGc = gcCounter()

interface DownloadRequest { card: Uint8Array, content: CardContent, address: SeederAddress, key: Uint8Array }

async function download ({ card, content, address, key }: DownloadRequest): Promise<{ mbps: number, ms: number, cpuMs: number, gcMs: number }> {
  const p = await startPeer({ budgetBytes: 4 * 2 ** 30 })
  try {
    const swarm = cardSwarm(p, card, content, key, async () => [address])
    const gc0 = (await readGc()).ms
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await swarm.fetch(card)
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const gc = (await readGc()).ms - gc0
    const bits = p.store.bitfield(card)
    if (bits == null || countBits(bits) !== content.sliceCount) throw new Error('download finished without every slice')
    return { mbps: content.size / 1e6 / (ms / 1000), ms, cpuMs: (cpu.user + cpu.system) / 1000, gcMs: gc }
  } finally {
    await p.stop()
  }
}

process.on('message', (msg: { download?: DownloadRequest, stop?: boolean }) => {
  void (async () => {
    if (msg.download != null) {
      try {
        process.send!(await download(msg.download))
      } catch (err) {
        process.send!({ error: err instanceof Error ? err.message : String(err) })
      }
    } else if (msg.stop === true) {
      process.disconnect()
    }
  })()
})
