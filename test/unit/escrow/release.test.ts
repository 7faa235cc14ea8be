/**
 * Share release (MISSION.md §8) against four EscrowServers over one committed chain: the holder
 * rebuilds the key; non-holders and former holders are refused by every validator; a wrong share
 * is detected and the client still succeeds; a validator down does not matter while t remain;
 * t-1 shares reveal nothing; a seeder without the key cannot decrypt; free cards need no escrow;
 * the request rules (window, signature, chain, committee, rate) and the libp2p framing.
 */
import { expect } from 'chai'
import { streamPair } from '@libp2p/utils'
import { tokenId, publishBody } from '../../../src/blocks/index.js'
import { randomBytes, combineShares, sealTo, ed25519PublicToX25519, ed25519SecretToX25519, type Account } from '../../../src/crypto/index.js'
import { cardEscrow, type Chain, type CardEscrow } from '../../../src/state/index.js'
import { devnetValidatorKey } from '../../../src/node/devnetKeys.js'
import { encryptSlice, decryptSlice } from '../../../src/torrent/contentKey.js'
import {
  obtainContentKey, serverShareSource, signShareRequest, openEscrowEntry, keyCommitmentOf, ESCROW_RELEASE_INFO,
  serveShareRequest, askOnStream, EscrowServer, type ShareSource, type EscrowServer as Server
} from '../../../src/torrent/escrow/index.js'
import { openEscrowChain, TxSender, publishEscrowed, escrowServers, CREATOR, BUYER, OTHER } from './fixture.js'

const sourcesOf = (servers: Server[]): ShareSource[] => servers.map((s, i) => serverShareSource(s, `v${i}`))

describe('key escrow release', () => {
  let chain: Chain
  let s: TxSender
  let servers: Server[]
  let card: Uint8Array
  let contentKey: Uint8Array
  let escrow: CardEscrow
  const token = (): Uint8Array => tokenId(card, 1)
  const obtain = async (who: Account, sources = sourcesOf(servers), esc = escrow): Promise<Awaited<ReturnType<typeof obtainContentKey>>> =>
    await obtainContentKey(esc, token(), who, { chainId: chain.chainId, height: chain.head().height, sources, timeoutMs: 3000 })

  beforeEach(async () => {
    chain = await openEscrowChain()
    s = new TxSender(chain)
    ;({ card, contentKey, escrow } = await publishEscrowed(s))
    servers = escrowServers(chain)
    await s.ok(BUYER, 'key.buy', { card, maxPrice: 1_000n })
  })

  it('the buyer rebuilds the content key from t shares and decrypts a slice', async () => {
    const r = await obtain(BUYER)
    expect(r.key).to.deep.equal(contentKey)
    expect(r.used).to.have.length(2)
    expect(decryptSlice(r.key, 0, encryptSlice(contentKey, 0, Uint8Array.of(1, 2, 3)))).to.deep.equal(Uint8Array.of(1, 2, 3))
  })

  it('a non-holder is refused by every validator', async () => {
    const answers = await Promise.all(servers.map(async v => await v.answerShareRequest(signShareRequest(OTHER, { chainId: chain.chainId, card, token: token(), height: chain.head().height }), 'p')))
    expect(answers.map(a => a.ok ? 'share' : a.reason)).to.deep.equal(Array(4).fill('not the holder'))
    await obtain(OTHER).then(() => expect.fail('released'), (e) => expect(e.message).to.match(/0 of the 2 shares.*not the holder/))
  })

  it('after key.transfer the former holder is refused and the new holder succeeds', async () => {
    await s.ok(BUYER, 'key.transfer', { token: token(), to: OTHER.address })
    await obtain(BUYER).then(() => expect.fail('released'), (e) => expect(e.message).to.match(/not the holder/))
    expect((await obtain(OTHER)).key).to.deep.equal(contentKey)
  })

  it('a wrong share is detected and the others still rebuild the key', async () => {
    const liar = devnetValidatorKey(0)
    const lying: ShareSource = {
      name: 'liar',
      // well-formed, sealed to the holder, but not the committed share
      ask: async (req) => [{ ok: true, validator: liar.address, sealed: sealTo(ed25519PublicToX25519(req.from), randomBytes(33 + 16), ESCROW_RELEASE_INFO) }]
    }
    const r = await obtain(BUYER, [lying, ...sourcesOf(servers.slice(1))])
    expect(r.key).to.deep.equal(contentKey)
    expect(r.badShares).to.have.length(1)
    expect(r.used).to.not.include(r.badShares[0])
  })

  it('a validator down does not stop release while t remain; below t it fails with the reasons', async () => {
    const down: ShareSource = { name: 'down', ask: async () => { throw new Error('connection refused') } }
    const hung: ShareSource = { name: 'hung', ask: async (_r, signal) => await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))) }
    expect((await obtain(BUYER, [down, hung, ...sourcesOf(servers.slice(2))])).key).to.deep.equal(contentKey)
    await obtain(BUYER, [down, down, down, ...sourcesOf(servers.slice(3))]).then(() => expect.fail('released'), (e) => expect(e.message).to.match(/1 of the 2 shares.*connection refused/))
  })

  it('t-1 colluding validators learn nothing: their shares fail the key commitment', async () => {
    const big = await openEscrowChain(7)
    const s7 = new TxSender(big)
    const p = await publishEscrowed(s7)
    expect(p.escrow.escrow!.threshold).to.equal(3)
    const shares = p.escrow.escrow!.shares.map((e) => openEscrowEntry(ed25519SecretToX25519(devnetKeyOf(e.validator).secretKey), e.sealed).share)
    for (const pair of [[0, 1], [2, 5], [6, 3]]) {
      const guess = await combineShares(pair.map(i => shares[i]!))
      expect(keyCommitmentOf(guess)).to.not.deep.equal(p.escrow.keyCommitment)
      expect(() => decryptSlice(guess, 0, encryptSlice(p.contentKey, 0, randomBytes(64)))).to.throw(/does not decrypt/)
    }
    expect(await combineShares([shares[1]!, shares[4]!, shares[6]!])).to.deep.equal(p.contentKey)
  })

  it('a seeder holding every encrypted slice but no key cannot decrypt', async () => {
    const slices = [0, 1].map(i => encryptSlice(contentKey, i, randomBytes(1024)))
    // what a seeder has: the sealed slices and the public card, including the escrow entries
    for (const sealed of slices) {
      expect(() => decryptSlice(randomBytes(32), 0, sealed)).to.throw(/does not decrypt/)
      expect(() => decryptSlice(escrow.keyCommitment!, 0, sealed)).to.throw(/does not decrypt/)
      expect(() => decryptSlice(escrow.escrow!.shares[0]!.sealed.subarray(0, 32), 0, sealed)).to.throw(/does not decrypt/)
    }
    // and it cannot open a share without a validator's escrow secret
    expect(() => openEscrowEntry(ed25519SecretToX25519(OTHER.secretKey), escrow.escrow!.shares[0]!.sealed)).to.throw()
  })

  it('free cards need no escrow: the key is in the card and nobody is asked', async () => {
    const key = randomBytes(32)
    const free = await s.ok(CREATOR, 'card.publish', publishBody({ kind: 'document', title: 'free', size: 10, sliceSize: 1024, sliceCount: 1, contentRoot: randomBytes(32), contentKey: key }))
    const esc = (await cardEscrow(chain.state, free))!
    const r = await obtainContentKey(esc, tokenId(free, 1), OTHER, { chainId: chain.chainId, height: 0, sources: [] })
    expect(r.key).to.deep.equal(key)
    const refusal = await servers[0]!.answerShareRequest(signShareRequest(OTHER, { chainId: chain.chainId, card: free, token: tokenId(free, 1), height: chain.head().height }), 'p')
    expect(refusal.ok ? '' : refusal.message).to.match(/it is free/)
  })

  it('refuses stale heights, bad signatures, other chains, unknown cards, non-members, and floods', async () => {
    const req = (over: { height?: number, card?: Uint8Array, chainId?: string } = {}): ReturnType<typeof signShareRequest> =>
      signShareRequest(BUYER, { chainId: over.chainId ?? chain.chainId, card: over.card ?? card, token: token(), height: over.height ?? chain.head().height })
    const reason = async (r: ReturnType<typeof signShareRequest>, v = servers[1]!): Promise<string> => { const a = await v.answerShareRequest(r, 'p'); return a.ok ? 'share' : a.reason }
    for (let i = 0; i < 21; i++) await s.commit()
    expect(await reason(req({ height: chain.head().height - 21 }))).to.equal('stale height')
    expect(await reason(req({ height: chain.head().height + 1 }))).to.equal('stale height')
    expect(await reason(req())).to.equal('share')
    const forged = req(); forged.signature[0]! ^= 1
    expect(await reason(forged)).to.equal('bad request')
    expect(await reason(req({ chainId: 'other-chain' }))).to.equal('bad request')
    expect(await reason(req({ card: randomBytes(32) }))).to.equal('unknown card')
    const outsider = new EscrowServer({ chainId: chain.chainId, headHeight: () => chain.head().height, state: chain.state }, devnetValidatorKey(9))
    expect(await reason(req(), outsider)).to.equal('not in committee')
    let now = 0
    const limited = escrowServers(chain, 1, { now: () => now, perAccount: { ratePerSec: 1, burst: 2 } })[0]!
    expect([await reason(req(), limited), await reason(req(), limited), await reason(req(), limited)]).to.deep.equal(['share', 'share', 'rate limited'])
    now += 1000
    expect(await reason(req(), limited)).to.equal('share')
    const perPeer = escrowServers(chain, 1, { now: () => 0, perPeer: { ratePerSec: 1, burst: 1 } })[0]!
    await perPeer.answerShareRequest(req(), 'flooder')
    expect((await perPeer.answerShareRequest(req(), 'flooder') as { reason: string }).reason).to.equal('rate limited')
  })

  it('libp2p framing: one request frame, one answer frame; garbage is refused in-band', async () => {
    const signal = AbortSignal.timeout(5000)
    let [a, b] = await streamPair()
    const r = signShareRequest(BUYER, { chainId: chain.chainId, card, token: token(), height: chain.head().height })
    const [answer] = await Promise.all([askOnStream(a, r, signal), serveShareRequest(b, servers[2]!, 'peer', signal)])
    expect(answer.ok).to.equal(true)
    expect(answer.validator).to.deep.equal(servers[2]!.address)
    ;[a, b] = await streamPair()
    const { lpStream } = await import('@libp2p/utils')
    const lp = lpStream(a)
    const serving = serveShareRequest(b, servers[2]!, 'peer', signal)
    await lp.write(randomBytes(50), { signal })
    const { unpackRecord } = await import('../../../src/codec/index.js')
    const reply = unpackRecord((await lp.read({ signal })).subarray()) as { ok: boolean, reason: string }
    await serving
    expect(reply).to.include({ ok: false, reason: 'bad request' })
  })
})

/** The devnet key whose address is `address` (the committee is in address order, not index order). */
function devnetKeyOf (address: Uint8Array): Account {
  for (let k = 0; k < 16; k++) {
    const key = devnetValidatorKey(k)
    if (Buffer.compare(key.address, address) === 0) return key
  }
  throw new Error('no devnet key for that validator')
}
