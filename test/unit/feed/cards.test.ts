import { expect } from 'chai'
import { CodecError } from '../../../src/codec/index.js'
import {
  getCounters, getSocialCounters, accountSocial, cardKey, decodeCard, decayHeat, HEAT_HALF_LIFE, type Chain
} from '../../../src/state/index.js'
import { testAccount, testGenesis, openChain } from '../../helpers/chainFixture.js'
import { Sender, postBody, results } from './helpers.js'

const [alice, bob, carol] = [testAccount(0), testAccount(1), testAccount(2)]

describe('feed: card and social transactions', () => {
  let chain: Chain
  let s: Sender
  beforeEach(async () => {
    chain = await openChain(testGenesis(3))
    s = new Sender()
  })

  it('publishes a card with every field stored, counted for its creator', async () => {
    const escrow = { threshold: 1, shares: [{ validator: new Uint8Array(20).fill(1), sealed: new Uint8Array(80).fill(2) }] }
    const body = postBody({
      kind: 'video', title: 'Sunset', body: 'a clip', tags: ['Nature', 'sky'], mime: 'video/mp4', size: 600_000,
      sliceSize: 262_144, contentRoot: new Uint8Array(32).fill(3), sliceCount: 3, preview: new Uint8Array(100).fill(4),
      previewRoot: new Uint8Array(32).fill(5), price: 1_500_000n, supply: 10, royaltyBps: 500, seedShareBps: 1000,
      keySalt: new Uint8Array(32).fill(6), escrow, keyCommitment: new Uint8Array(32).fill(7)
    })
    const { tx, id } = s.publish(alice, body)
    expect(await results(chain, [tx])).to.deep.equal([{ ok: true }])
    const rec = decodeCard(await chain.state.get(cardKey(id)))
    expect(rec?.card).to.deep.equal(body)
    expect(rec?.creator).to.deep.equal(alice.address)
    expect(rec).to.include({ height: 1, index: 0 })
    expect((await accountSocial(chain, alice.address)).cards).to.equal(1)
  })

  it('refuses fields beyond their limits when encoding, naming the field', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ title: 'x'.repeat(201) }, /title: 201 characters exceeds the maximum of 200/],
      [{ body: 'x'.repeat(2001) }, /body\.body: 2001 characters/],
      [{ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, /tags: 11 items exceeds the maximum of 10/],
      [{ tags: ['x'.repeat(33)] }, /tags\[0\]: 33 characters/],
      [{ preview: new Uint8Array(64 * 1024 + 1) }, /preview: 65537 bytes exceeds the maximum of 65536/]
    ]
    for (const [over, msg] of cases) {
      const err = (() => { try { s.publish(alice, over); return null } catch (e) { return e } })()
      expect(err, JSON.stringify(Object.keys(over))).to.be.instanceOf(CodecError)
      expect((err as Error).message).to.match(msg)
    }
    const avatar = (() => { try { s.tx(alice, 'profile.set', { name: 'a', bio: '', avatar: new Uint8Array(16 * 1024 + 1) }); return null } catch (e) { return e } })()
    expect((avatar as Error).message).to.match(/avatar: 16385 bytes exceeds the maximum of 16384/)
  })

  it('refuses inconsistent cards with the state machine\'s reason', async () => {
    const bad = [
      s.publish(alice, { size: 10 }).tx,
      s.publish(alice, { contentRoot: new Uint8Array(32), size: 1000, sliceSize: 1024, sliceCount: 2 }).tx,
      s.publish(alice, { title: '', body: ' ' }).tx,
      s.publish(alice, { tags: ['a', 'A'] }).tx,
      s.publish(alice, { tags: ['two words'] }).tx,
      s.publish(alice, { price: 5n, contentKey: new Uint8Array(32) }).tx,
      s.publish(alice, { parent: new Uint8Array(32).fill(9) }).tx
    ]
    const r = await results(chain, bad)
    expect(r.map(x => x.code)).to.deep.equal(['INVALID_TX', 'INVALID_TX', 'INVALID_TX', 'INVALID_TX', 'INVALID_TX', 'INVALID_TX', 'NOT_FOUND'])
    expect(r[1].message).to.match(/sliceCount 2 does not match/)
    expect(r[3].message).to.match(/given twice/)
    expect(r[6].message).to.match(/does not exist/)
  })

  it('keeps one reaction per account: a second replaces, the same is refused, null removes', async () => {
    const { tx, id } = s.publish(alice)
    await results(chain, [tx])
    expect(await results(chain, [s.tx(bob, 'card.react', { card: id, reaction: 'like' })])).to.deep.equal([{ ok: true }])
    const same = await results(chain, [s.tx(bob, 'card.react', { card: id, reaction: 'like' })])
    expect(same[0]).to.include({ ok: false, code: 'ALREADY_EXISTS' })
    await results(chain, [s.tx(bob, 'card.react', { card: id, reaction: 'love' }), s.tx(carol, 'card.react', { card: id, reaction: 'love' })])
    let c = await getCounters(chain.overlay(), id)
    expect([c.like, c.love]).to.deep.equal([0, 2])
    await results(chain, [s.tx(bob, 'card.react', { card: id, reaction: null })])
    c = await getCounters(chain.overlay(), id)
    expect([c.like, c.love]).to.deep.equal([0, 1])
    const none = await results(chain, [s.tx(bob, 'card.react', { card: id, reaction: null })])
    expect(none[0]).to.include({ ok: false, code: 'NOT_FOUND' })
    const missing = await results(chain, [s.tx(bob, 'card.react', { card: new Uint8Array(32), reaction: 'wow' })])
    expect(missing[0]).to.include({ ok: false, code: 'NOT_FOUND' })
  })

  it('counts views, reposts and flags once per account, and replies on the parent', async () => {
    const { tx, id } = s.publish(alice)
    await results(chain, [tx])
    const r = await results(chain, [
      s.tx(bob, 'card.view', { card: id }), s.tx(bob, 'card.view', { card: id }), s.tx(carol, 'card.view', { card: id }),
      s.tx(bob, 'card.repost', { card: id }), s.tx(bob, 'card.repost', { card: id }),
      s.tx(carol, 'card.flag', { card: id, reason: 'spam' }), s.tx(carol, 'card.flag', { card: id, reason: 'spam' }),
      s.publish(bob, { parent: id, body: 'a reply' }).tx
    ])
    expect(r.map(x => x.ok)).to.deep.equal([true, false, true, true, false, true, false, true])
    expect(r[1].message).to.match(/counts once per account/)
    const c = await getCounters(chain.overlay(), id)
    expect(c).to.include({ views: 2, reposts: 1, flags: 1, replies: 1 })
    expect(c.heat > 0n).to.equal(true)
  })

  it('follows, refuses double and self follows, refuses unfollowing a non-followed account', async () => {
    const r = await results(chain, [
      s.tx(alice, 'social.follow', { account: bob.address }),
      s.tx(alice, 'social.follow', { account: bob.address }),
      s.tx(alice, 'social.follow', { account: alice.address }),
      s.tx(carol, 'social.follow', { account: bob.address }),
      s.tx(alice, 'social.unfollow', { account: carol.address })
    ])
    expect(r.map(x => x.code ?? 'ok')).to.deep.equal(['ok', 'ALREADY_EXISTS', 'NOT_ALLOWED', 'ok', 'NOT_FOUND'])
    expect(r[4].message).to.match(/you do not follow fol1/)
    expect(await getSocialCounters(chain.overlay(), bob.address)).to.include({ followers: 2 })
    expect(await getSocialCounters(chain.overlay(), alice.address)).to.include({ following: 1 })
    await results(chain, [s.tx(alice, 'social.unfollow', { account: bob.address })])
    expect((await accountSocial(chain, bob.address)).followers).to.equal(1)
    expect((await accountSocial(chain, alice.address)).following).to.equal(0)
  })

  it('mutes and unmutes, and sets a profile', async () => {
    const r = await results(chain, [
      s.tx(alice, 'social.mute', { account: bob.address }),
      s.tx(alice, 'social.mute', { account: bob.address }),
      s.tx(alice, 'social.unmute', { account: carol.address }),
      s.tx(alice, 'profile.set', { name: 'Alice', bio: 'makes films', avatar: new Uint8Array(16 * 1024) })
    ])
    expect(r.map(x => x.code ?? 'ok')).to.deep.equal(['ok', 'ALREADY_EXISTS', 'NOT_FOUND', 'ok'])
    const social = await accountSocial(chain, alice.address)
    expect(social.profile).to.include({ name: 'Alice', bio: 'makes films' })
    expect(social.muted).to.equal(1)
  })

  it('keeps counters right when many accounts engage in the same and in consecutive blocks', async () => {
    const accounts = [alice, bob, carol]
    const { tx, id } = s.publish(alice)
    await results(chain, [tx])
    const block1 = accounts.flatMap(a => [s.tx(a, 'card.react', { card: id, reaction: 'like' }), s.tx(a, 'card.view', { card: id })])
    const block2 = accounts.map(a => s.tx(a, 'card.react', { card: id, reaction: 'laugh' }))
    await results(chain, block1)
    await results(chain, block2)
    const c = await getCounters(chain.overlay(), id)
    expect(c).to.include({ like: 0, laugh: 3, views: 3 })
  })

  it('decays heat by half per half-life, deterministically in integers', () => {
    expect(decayHeat(1000n, 0, HEAT_HALF_LIFE)).to.equal(500n)
    expect(decayHeat(1000n, 0, 2 * HEAT_HALF_LIFE)).to.equal(250n)
    expect(decayHeat(1000n, 10, 10)).to.equal(1000n)
    const mid = decayHeat(1000n, 0, HEAT_HALF_LIFE / 2)
    expect(mid > 700n && mid < 760n).to.equal(true)
  })
})
