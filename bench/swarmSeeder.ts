/**
 * A slice seeder in its own process, for bench/swarm.ts's two-process layout (the same layout as
 * WebTorrent's "seeder in a child process" row): the parent sends the content and key over IPC
 * before any clock starts; this process publishes it into a fresh slice store on a swarm host on
 * 127.0.0.1 and answers with the card, its layout and the host's addresses; it stops when told.
 * Asked `{ gc: true }`, it answers with its garbage collections so far (major: full mark-compacts;
 * decision 0014: a seeder sometimes runs them back to back, and then its CPU per transfer doubles).
 *
 * Run by bench/swarm.ts through child_process.fork with the parent's --import flags.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { publishInto, startPeer, type Peer } from '../test/unit/swarm/fixtures.js'

/** Full (mark-compact) collections and all GC pauses of this process so far. */
const gc = { major: 0, ms: 0 }
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.ms += e.duration
    if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++
  }
}).observe({ entryTypes: ['gc'] })

let peer: Peer | undefined

process.on('message', (msg: { data?: Uint8Array, key?: Uint8Array, stop?: boolean, gc?: boolean }) => {
  void (async () => {
    if (msg.gc === true) {
      // GC entries are delivered after the fact: let them in first.
      await new Promise(resolve => setImmediate(resolve))
      process.send!({ ...gc })
    } else if (msg.data != null && msg.key != null) {
      try {
        peer = await startPeer({ budgetBytes: 4 * 2 ** 30 })
        const { card, content } = await publishInto(peer.store, msg.data, msg.key)
        process.send!({ card, content, address: peer.address() })
      } catch (err) {
        process.send!({ error: err instanceof Error ? err.message : String(err) })
      }
    } else if (msg.stop === true) {
      await peer?.stop()
      process.disconnect()
    }
  })()
})
