import { expect } from 'chai'
import fc from 'fast-check'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStore, LevelStore, type KVStore, type RangeOptions } from '../../../src/state/index.js'

const hex = (xs: Uint8Array[]): string[] => xs.map(x => Buffer.from(x).toString('hex'))

describe('state: KVStore.keys reads the same keys as iterate', () => {
  let dir: string
  let level: LevelStore
  const memory = new MemoryStore()
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'folio-store-'))
    level = await LevelStore.open(join(dir, 'db'))
    const ops = Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: Uint8Array.of(i % 7, i), value: Uint8Array.of(i) }))
    await level.batch(ops)
    await memory.batch(ops)
  })
  after(async () => { await level.close(); await rm(dir, { recursive: true, force: true }) })

  for (const name of ['MemoryStore', 'LevelStore'] as const) {
    it(`${name}: any range, direction and limit`, async () => {
      const kv: KVStore = name === 'MemoryStore' ? memory : level
      const byte = fc.integer({ min: 0, max: 7 })
      await fc.assert(fc.asyncProperty(byte, byte, fc.boolean(), fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }), async (a, b, reverse, limit) => {
        const range: RangeOptions = { gte: Uint8Array.of(Math.min(a, b)), lt: Uint8Array.of(Math.max(a, b) + 1), reverse, limit }
        const iterated: Uint8Array[] = []
        for await (const [k] of kv.iterate(range)) iterated.push(k)
        expect(hex(await kv.keys(range))).to.deep.equal(hex(iterated))
      }), { numRuns: 60 })
    })
  }
})
