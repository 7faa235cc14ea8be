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
import { publishInto, startPeer, type Peer } from '../test/unit/swarm/fixtures.js'
import { errorMessage } from '../src/errors.js'
import { gcCounter } from './lib.js'

const readGc = gcCounter()

let peer: Peer | undefined

process.on('message', (msg: { data?: Uint8Array, key?: Uint8Array, stop?: boolean, gc?: boolean }) => {
  void (async () => {
    if (msg.gc === true) {
      process.send!(await readGc())
    } else if (msg.data != null && msg.key != null) {
      try {
        peer = await startPeer({ budgetBytes: 4 * 2 ** 30 })
        const { card, content } = await publishInto(peer.store, msg.data, msg.key)
        process.send!({ card, content, address: peer.address() })
      } catch (err) {
        process.send!({ error: errorMessage(err) })
      }
    } else if (msg.stop === true) {
      await peer?.stop()
      process.disconnect()
    }
  })()
})
