import { expect } from 'chai'
import fc from 'fast-check'
import { LruMap } from '../../../src/state/lru.js'
import { MemoryStore, StateStore, concatKey } from '../../../src/state/index.js'

describe('state: LRU read cache bounds', () => {
  it('evicts the least recently used entries beyond the entry cap and the weight cap', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 500 }), fc.boolean())), (ops) => {
      const lru = new LruMap<number, number>(10, { maxWeight: 1_000, weigh: (_k, v) => v })
      const model: Array<[number, number]> = [] // oldest first
      for (const [k, v, read] of ops) {
        const at = model.findIndex(e => e[0] === k)
        if (read) {
          expect(lru.get(k)).to.equal(at >= 0 ? model[at][1] : undefined)
          if (at >= 0) model.push(...model.splice(at, 1))
          continue
        }
        if (at >= 0) model.splice(at, 1)
        model.push([k, v])
        lru.set(k, v)
        const weight = (): number => model.reduce((a, e) => a + e[1], 0)
        while (model.length > 10 || (weight() > 1_000 && model.length > 0)) model.shift()
        expect(lru.size).to.equal(model.length)
        expect(lru.weight).to.equal(weight())
      }
    }))
  })

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
})
