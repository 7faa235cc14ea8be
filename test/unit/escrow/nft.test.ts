/**
 * Key NFT state rules (MISSION.md §4): buy mints the next serial and pays the creator, maxPrice
 * and supply are enforced, grants are the creator's, transfers and listings follow the holder,
 * resales pay seller and creator exactly (royalty in basis points, no dust), and re-escrow takes
 * only the current committee.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { tokenId, splitTokenId } from '../../../src/blocks/index.js'
import { getAccount, getToken, getListing, getCounters, mintedCount, splitResale, nftKeys, prefixEnd, cardEscrow, type Chain } from '../../../src/state/index.js'
import { buildEscrow } from '../../../src/torrent/escrow/index.js'
import { randomBytes } from '../../../src/crypto/index.js'
import { openEscrowChain, TxSender, publishEscrowed, committeeOf, CREATOR, BUYER, OTHER, THIRD } from './fixture.js'

async function balance (chain: Chain, a: { address: Uint8Array }): Promise<bigint> {
  return (await getAccount(chain.overlay(), a.address)).balance
}

describe('key NFTs (state)', () => {
  let chain: Chain
  let s: TxSender
  beforeEach(async () => { chain = await openEscrowChain(); s = new TxSender(chain) })

  it('key.buy mints serials in order, pays the creator the price and counts a sale', async () => {
    const { card } = await publishEscrowed(s)
    const before = { buyer: await balance(chain, BUYER), creator: await balance(chain, CREATOR) }
    const tx = s.tx(BUYER, 'key.buy', { card, maxPrice: 1_000n })
    expect((await s.commit(tx))[0]!.ok).to.equal(true)
    expect(await balance(chain, BUYER)).to.equal(before.buyer - 1_000n - tx.fee)
    expect(await balance(chain, CREATOR)).to.equal(before.creator + 1_000n)
    const token = tokenId(card, 1)
    expect((await getToken(chain.state, token))!.owner).to.deep.equal(BUYER.address)
    expect(splitTokenId(token)).to.deep.equal({ card, serial: 1 })
    expect((await getCounters(chain.overlay(), card)).keysSold).to.equal(1)
    await s.ok(OTHER, 'key.buy', { card, maxPrice: 5_000n })
    expect((await getToken(chain.state, tokenId(card, 2)))!.owner).to.deep.equal(OTHER.address)
  })

  it('refuses a price above maxPrice and mints past supply (grants count too)', async () => {
    const { card } = await publishEscrowed(s)
    const [low] = await s.commit(s.tx(BUYER, 'key.buy', { card, maxPrice: 999n }))
    expect(low!.ok).to.equal(false)
    expect(low!.message).to.match(/above your maxPrice 999/)
    await s.ok(CREATOR, 'key.grant', { card, to: OTHER.address })
    await s.ok(BUYER, 'key.buy', { card, maxPrice: 1_000n })
    await s.ok(THIRD, 'key.buy', { card, maxPrice: 1_000n })
    const before = await balance(chain, BUYER)
    const tx = s.tx(BUYER, 'key.buy', { card, maxPrice: 1_000n })
    const [over] = await s.commit(tx)
    expect(over!.code).to.equal('LIMIT_EXCEEDED')
    expect(await balance(chain, BUYER)).to.equal(before - tx.fee) // reverted: only the fee is paid
    expect(await mintedCount(chain.state, card)).to.equal(3)
    expect((await getCounters(chain.overlay(), card)).keysSold).to.equal(2)
  })

  it('only the creator grants; only the holder transfers, lists and unlists', async () => {
    const { card } = await publishEscrowed(s)
    expect((await s.commit(s.tx(BUYER, 'key.grant', { card, to: BUYER.address })))[0]!.code).to.equal('NOT_ALLOWED')
    await s.ok(BUYER, 'key.buy', { card, maxPrice: 1_000n })
    const token = tokenId(card, 1)
    for (const [type, body] of [['key.transfer', { token, to: OTHER.address }], ['key.list', { token, price: 5n }], ['key.unlist', { token }]] as const) {
      expect((await s.commit(s.tx(OTHER, type, body)))[0]!.code, type).to.equal('NOT_ALLOWED')
    }
    await s.ok(BUYER, 'key.list', { token, price: 700n })
    // a transfer cancels the listing, so the new holder is never sold out from under
    await s.ok(BUYER, 'key.transfer', { token, to: OTHER.address })
    expect(await getListing(chain.state, token)).to.equal(undefined)
    expect((await getToken(chain.state, token))!.owner).to.deep.equal(OTHER.address)
    const owned = async (a: { address: Uint8Array }): Promise<number> => {
      let n = 0
      for await (const _ of chain.state.scan(nftKeys.ownedPrefix(a.address), prefixEnd(nftKeys.ownedPrefix(a.address)))) n++
      return n
    }
    expect([await owned(BUYER), await owned(OTHER)]).to.deep.equal([0, 1])
    expect((await s.commit(s.tx(THIRD, 'key.buy-listed', { token, maxPrice: 700n })))[0]!.code).to.equal('NOT_FOUND')
  })

  it('key.buy-listed pays the seller less the royalty and the creator the royalty, atomically', async () => {
    const { card } = await publishEscrowed(s, { royaltyBps: 1_234 })
    await s.ok(BUYER, 'key.buy', { card, maxPrice: 1_000n })
    const token = tokenId(card, 1)
    await s.ok(BUYER, 'key.list', { token, price: 9_999n })
    expect((await s.commit(s.tx(OTHER, 'key.buy-listed', { token, maxPrice: 9_998n })))[0]!.message).to.match(/above your maxPrice/)
    const before = { seller: await balance(chain, BUYER), creator: await balance(chain, CREATOR), buyer: await balance(chain, OTHER) }
    const tx = s.tx(OTHER, 'key.buy-listed', { token, maxPrice: 9_999n })
    expect((await s.commit(tx))[0]!.ok).to.equal(true)
    // royalty = floor(9999 * 1234 / 10000) = 1233; seller gets 8766; 1233 + 8766 = 9999
    expect(await balance(chain, CREATOR)).to.equal(before.creator + 1_233n)
    expect(await balance(chain, BUYER)).to.equal(before.seller + 8_766n)
    expect(await balance(chain, OTHER)).to.equal(before.buyer - 9_999n - tx.fee)
    expect((await getToken(chain.state, token))!.owner).to.deep.equal(OTHER.address)
    expect(await getListing(chain.state, token)).to.equal(undefined)
  })

  it('a failed resale (buyer cannot pay) moves nothing', async () => {
    const { card } = await publishEscrowed(s)
    await s.ok(BUYER, 'key.buy', { card, maxPrice: 1_000n })
    const token = tokenId(card, 1)
    await s.ok(BUYER, 'key.list', { token, price: 10n ** 15n })
    const before = await balance(chain, BUYER)
    const [r] = await s.commit(s.tx(OTHER, 'key.buy-listed', { token, maxPrice: 10n ** 15n }))
    expect(r!.code).to.equal('INSUFFICIENT_FUNDS')
    expect(await balance(chain, BUYER)).to.equal(before)
    expect((await getToken(chain.state, token))!.owner).to.deep.equal(BUYER.address)
  })

  it('royalty split: parts are non-negative, sum to the price, royalty ≤ price × bps / 10000', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 10_000 }), (price, bps) => {
      const { royalty, seller } = splitResale(price, bps)
      expect(royalty + seller).to.equal(price)
      expect(royalty >= 0n && seller >= 0n).to.equal(true)
      expect(royalty * 10_000n <= price * BigInt(bps)).to.equal(true)
      expect((royalty + 1n) * 10_000n > price * BigInt(bps)).to.equal(true)
    }))
  })

  it('card.reescrow: creator only, current committee and threshold only; then it is the card\'s escrow', async () => {
    const { card } = await publishEscrowed(s)
    const fresh = await buildEscrow(randomBytes(32), committeeOf(chain))
    expect((await s.commit(s.tx(BUYER, 'card.reescrow', { card, escrow: fresh.escrow })))[0]!.code).to.equal('NOT_ALLOWED')
    const short = { ...fresh.escrow, shares: fresh.escrow.shares.slice(1) }
    expect((await s.commit(s.tx(CREATOR, 'card.reescrow', { card, escrow: short })))[0]!.message).to.match(/committee must be the 4 validators/)
    const wrongT = { ...fresh.escrow, threshold: 3 }
    expect((await s.commit(s.tx(CREATOR, 'card.reescrow', { card, escrow: wrongT })))[0]!.message).to.match(/threshold must be 2/)
    await s.ok(CREATOR, 'card.reescrow', { card, escrow: fresh.escrow })
    const esc = (await cardEscrow(chain.state, card))!
    expect(esc.escrow!.shares[0]!.sealed).to.deep.equal(fresh.escrow.shares[0]!.sealed)
    expect(esc.height).to.equal(chain.head().height)
  })
})
