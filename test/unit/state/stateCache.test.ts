import { expect } from 'chai'
import { MemoryStore, StateStore, concatKey } from '../../../src/state/index.js'

describe('state: read cache bounds', () => {
  it('keeps the state cache within its byte budget when values are 64 KiB card records', async () => {
    const kv = new MemoryStore()
    const state = await StateStore.open(kv, { cacheBytes: 1 * 2 ** 20 })
    const changes = Array.from({ length: 100 }, (_, i) => ({ key: concatKey('s/card/', Uint8Array.of(i)), value: new Uint8Array(65_536).fill(i) }))
    await kv.batch(changes.map(c => ({ type: 'put' as const, key: c.key, value: c.value })))
    state.afterWrite(changes)
    const stats = state.cacheStats()
    expect(stats.bytes).to.be.at.most(2 ** 20)
    expect(stats.entries).to.be.within(1, 16)
    // evicted entries are read back from the store
    for (const c of [changes[0], changes[99]]) expect(await state.get(c.key)).to.deep.equal(c.value)
  })

  it('keeps the entries read most recently when it evicts', async () => {
    const kv = new MemoryStore()
    // room for about four 1 KiB records
    const state = await StateStore.open(kv, { cacheBytes: 4 * 1_200 })
    const change = (i: number): { key: Uint8Array, value: Uint8Array } => ({ key: concatKey('s/card/', Uint8Array.of(i)), value: new Uint8Array(1_024).fill(i) })
    const first = [0, 1, 2, 3].map(change)
    await kv.batch(first.map(c => ({ type: 'put' as const, key: c.key, value: c.value })))
    state.afterWrite(first)
    // record 0 is read, so record 1 is now the least recently used
    expect(await state.get(first[0].key)).to.deep.equal(first[0].value)
    await kv.batch([{ type: 'del', key: first[0].key }, { type: 'del', key: first[1].key }])
    state.afterWrite([change(4)])
    expect(state.cacheStats().entries).to.equal(4)
    // 0 is still answered from the cache (the store no longer has it); 1 was evicted and reads as absent
    expect(await state.get(first[0].key)).to.deep.equal(first[0].value)
    expect(await state.get(first[1].key)).to.equal(undefined)
  })
})
