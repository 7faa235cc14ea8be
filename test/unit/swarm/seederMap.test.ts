/**
 * The seeder map in state: announce, renew, withdraw, expiry after the ttl (with the card's live
 * seeder counter following), the map at past heights, and every rule's refusal.
 */
import { expect } from 'chai'
import { publishBody } from '../../../src/blocks/index.js'
import type { Tx } from '../../../src/blocks/types.js'
import { txId } from '../../../src/blocks/index.js'
import {
  MemoryStore, getCounters, seederHistoryIndexer, initSeederHistory, seedersNow, seedersAt, type Chain
} from '../../../src/state/index.js'
import { openChain, testGenesis, testAccount, makeTx, nextBlock } from '../../helpers/chainFixture.js'

const PEER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const ADDR = `/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`

describe('seeder map (state)', () => {
  const alice = testAccount(0)
  const bob = testAccount(1)
  let chain: Chain
  let kv: MemoryStore
  const nonces = new Map<string, bigint>()

  function tx (who: typeof alice, type: string, body: Record<string, unknown>): Tx {
    const k = Buffer.from(who.address).toString('hex')
    const n = nonces.get(k) ?? 0n
    nonces.set(k, n + 1n)
    return makeTx(who, n, type, body)
  }

  async function block (...txs: Tx[]): Promise<Array<{ ok: boolean, code?: string, message?: string }>> {
    const committed = await chain.commit(nextBlock(chain, txs), null)
    return committed.executed.map(e => e.result)
  }

  async function publish (): Promise<Uint8Array> {
    const t = tx(alice, 'card.publish', publishBody({ kind: 'video', title: 'clip', size: 1000, sliceSize: 262_144, sliceCount: 1, contentRoot: new Uint8Array(32).fill(1) }))
    expect((await block(t))[0]!.ok).to.equal(true)
    return txId(t)
  }

  const announce = (who: typeof alice, card: Uint8Array, ttl: number, price = 5n): Tx =>
    tx(who, 'seed.announce', { card, multiaddrs: [ADDR], pricePerMiB: price, ttl })

  beforeEach(async () => {
    kv = new MemoryStore()
    nonces.clear()
    chain = await openChain(testGenesis(4), kv)
    chain.addIndexer(seederHistoryIndexer())
    await initSeederHistory(kv, 0)
  })

  it('announces, counts, renews, withdraws and expires', async () => {
    const card = await publish() // height 1
    expect((await block(announce(alice, card, 3), announce(bob, card, 10)))[0]!.ok).to.equal(true) // height 2
    expect((await getCounters(chain.overlay(), card)).seeders).to.equal(2)
    const now = await seedersNow(chain.state, card, chain.head().height)
    expect(now.map(s => s.entry.multiaddrs[0])).to.deep.equal([ADDR, ADDR])
    expect(now.find(s => Buffer.compare(s.seeder, alice.address) === 0)!.entry).to.include({ since: 2, expires: 5 })

    await block() // 3
    expect((await block(announce(bob, card, 10, 9n)))[0]!.ok).to.equal(true) // 4: bob renews
    expect((await getCounters(chain.overlay(), card)).seeders).to.equal(2)
    await block() // 5: alice's entry (2 + 3) expires
    const after = await seedersNow(chain.state, card, 5)
    expect(after).to.have.length(1)
    expect(Buffer.compare(after[0]!.seeder, bob.address)).to.equal(0)
    expect(after[0]!.entry.pricePerMiB).to.equal(9n)
    expect((await getCounters(chain.overlay(), card)).seeders).to.equal(1)

    expect((await block(tx(bob, 'seed.withdraw', { card })))[0]!.ok).to.equal(true) // 6
    expect(await seedersNow(chain.state, card, 6)).to.have.length(0)
    expect((await getCounters(chain.overlay(), card)).seeders).to.equal(0)
    // bob's renewed entry would have expired at 14: nothing is left to remove then
    for (let h = 7; h <= 15; h++) await block()
    expect((await getCounters(chain.overlay(), card)).seeders).to.equal(0)

    // the map at past heights
    expect(await seedersAt(kv, card, 1)).to.have.length(0)
    expect((await seedersAt(kv, card, 2)).length).to.equal(2)
    expect((await seedersAt(kv, card, 4)).length).to.equal(2)
    const at5 = await seedersAt(kv, card, 5)
    expect(at5.map(s => s.entry.pricePerMiB)).to.deep.equal([9n])
    expect(await seedersAt(kv, card, 6)).to.have.length(0)
  })

  it('refuses bad announcements and withdrawals with reasons', async () => {
    const card = await publish()
    const post = tx(alice, 'card.publish', publishBody({ kind: 'text', body: 'hello' }))
    await block(post)
    const results = await block(
      announce(alice, card, 0),
      announce(alice, card, 100_001),
      tx(alice, 'seed.announce', { card, multiaddrs: ['/ip4/127.0.0.1/tcp/1'], pricePerMiB: 0n, ttl: 5 }),
      tx(alice, 'seed.announce', { card, multiaddrs: [], pricePerMiB: 0n, ttl: 5 }),
      tx(alice, 'seed.announce', { card, multiaddrs: ['not an address/p2p/x'], pricePerMiB: 0n, ttl: 5 }),
      announce(alice, new Uint8Array(32).fill(9), 5),
      announce(alice, txId(post), 5),
      tx(bob, 'seed.withdraw', { card })
    )
    expect(results.map(r => r.ok)).to.deep.equal(new Array(8).fill(false))
    expect(results[0]!.message).to.match(/ttl 0 must be between 1 and 100000/)
    expect(results[1]!.message).to.match(/ttl 100001/)
    expect(results[2]!.message).to.match(/\/p2p\//)
    expect(results[3]!.message).to.match(/at least one multiaddr/)
    expect(results[4]!.message).to.match(/not a multiaddr/)
    expect(results[5]!.code).to.equal('NOT_FOUND')
    expect(results[6]!.message).to.match(/no content to seed/)
    expect(results[7]!.message).to.match(/no live announcement/)
  })

  it('says where its history starts on a chain it joined late', async () => {
    const late = new MemoryStore()
    expect(await initSeederHistory(late, 40)).to.equal(41)
    expect(await initSeederHistory(late, 90)).to.equal(41)
    let err: unknown
    try { await seedersAt(late, new Uint8Array(32), 12) } catch (e) { err = e }
    expect(String(err)).to.match(/from height 41/)
  })
})
