import { expect } from 'chai'
import { streamPair } from '@libp2p/utils'
import { WireChannel } from '../../../src/torrent/channel.js'
import type { WireMessage } from '../../../src/torrent/wire.js'
import { MAX_SLICE_SIZE } from '../../../src/torrent/layout.js'

const card = new Uint8Array(32).fill(7)

function slice (index: number): WireMessage {
  return { type: 'slice', card, index, bytes: new Uint8Array(MAX_SLICE_SIZE).fill(index) }
}

describe('torrent/channel', () => {
  it('takes whole slices however the stream groups them, even many frames delivered at once after a pause', async () => {
    const [a, b] = await streamPair()
    const got: number[] = []
    const errors: unknown[] = []
    const held: Array<() => void> = []
    // Every handler stays pending until released: after two, the receiving channel pauses its stream,
    // the sender's frames pile up in the stream's read buffer, and resuming hands them over as one chunk.
    const receiver = new WireChannel(b, {
      maxPendingHandlers: 2,
      onMessage: async (m) => {
        if (m.type === 'slice') got.push(m.index)
        await new Promise<void>(resolve => held.push(resolve))
      },
      onError: (err) => { errors.push(err) },
      onClose: () => {}
    })
    const sender = new WireChannel(a, { onMessage: () => {}, onError: () => {}, onClose: () => {} })

    for (let i = 0; i < 6; i++) sender.post(slice(i))
    const deadline = Date.now() + 5_000
    while (got.length < 6 && errors.length === 0 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 10))
      held.splice(0).forEach(release => { release() })
    }

    expect(errors.map(String)).to.deep.equal([])
    expect(got).to.deep.equal([0, 1, 2, 3, 4, 5])
    expect(receiver.isOpen).to.equal(true)
    await sender.close()
    await receiver.close()
  })
})
