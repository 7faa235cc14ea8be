import { expect } from 'chai'
import { Mempool, MempoolError } from '../../../src/mempool/index.js'
import { accountKey, decodeAccount, type Chain } from '../../../src/state/index.js'
import { encodeTx, signTx } from '../../../src/blocks/index.js'
import { testAccount, testGenesis, openChain, transfer, nextBlock, CHAIN_ID } from '../../helpers/chainFixture.js'
import { dryRunTx } from '../../../src/node/dryRun.js'
import { SignatureVerifier } from '../../../src/crypto/verifier.js'

const [alice, bob, carol] = [testAccount(0), testAccount(1), testAccount(2)]

function poolFor (chain: Chain, opts = {}, verifier?: SignatureVerifier): Mempool {
  return new Mempool({
    chainId: chain.chainId,
    params: chain.params,
    account: async (a) => decodeAccount(await chain.state.get(accountKey(a))),
    isCommitted: async (id) => (await chain.blocks.txLocation(id)) !== undefined,
    dryRun: async (tx) => await dryRunTx(chain, tx),
    verifier
  }, opts)
}

async function rejects (p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const err = await p.then(() => undefined, (e) => e)
  expect(err, `expected ${code}`).to.be.instanceOf(MempoolError)
  expect(err.code).to.equal(code)
  if (message != null) expect(err.message).to.match(message)
}

describe('mempool', () => {
  it('refuses without capturing a stack trace, and leaves other errors their stacks', async () => {
    const chain = await openChain(testGenesis(3))
    const pool = poolFor(chain)
    const err = await pool.add(transfer(alice, 5n, bob, 10n)).then(() => undefined, (e) => e)
    expect(err).to.be.instanceOf(MempoolError)
    expect(err.code).to.equal('NONCE_GAP')
    expect(err.stack).to.equal(`MempoolError: ${err.message as string}`)
    expect(new Error('other').stack).to.match(/\n\s+at /)
  })

  it('admits a sequence per sender and refuses gaps, reuse and duplicates', async () => {
    const chain = await openChain(testGenesis(3))
    const pool = poolFor(chain)
    const t0 = transfer(alice, 0n, bob, 10n)
    await pool.add(t0)
    await rejects(pool.add(t0), 'DUPLICATE')
    await rejects(pool.add(transfer(alice, 2n, bob, 10n)), 'NONCE_GAP', /nonce 2 expected 1/)
    await pool.add(transfer(alice, 1n, bob, 10n))
    expect(pool.size).to.equal(2)
    expect(pool.pendingOf(alice.address)).to.equal(2)
  })

  it('checks signature, chain id and fee', async () => {
    const chain = await openChain(testGenesis(3))
    const pool = poolFor(chain)
    const good = transfer(alice, 0n, bob, 10n)
    const forged = { ...good, signature: new Uint8Array(64).fill(1) }
    await rejects(pool.add(forged), 'INVALID', /signature/i)
    const wrongChain = signTx({ ...good, chainId: 'other-chain' }, alice.secretKey)
    await rejects(pool.add(wrongChain), 'INVALID', /chain/)
    await rejects(pool.add(transfer(alice, 0n, bob, 10n, 5n)), 'FEE_TOO_LOW')
    await rejects(pool.addBytes(new Uint8Array([1, 2, 3])), 'INVALID', /does not decode/)
    expect(pool.size).to.equal(0)
  })

  for (const workers of [undefined, 1]) {
    it(`checks a gossiped batch statelessly${workers === undefined ? ' on the event loop' : ' with signatures on a worker thread'}, and remembers it`, async () => {
      const chain = await openChain(testGenesis(3))
      const verifier = workers === undefined ? undefined : new SignatureVerifier({ workers })
      try {
        const pool = poolFor(chain, {}, verifier)
        const good = [transfer(alice, 0n, bob, 10n), transfer(bob, 0n, carol, 5n)]
        const decoded = await pool.checkStatelessMany(good.map(encodeTx))
        expect(decoded.map(t => t.nonce)).to.deep.equal([0n, 0n])
        expect(pool.verified(decoded[0])).to.equal(true)
        expect(pool.size).to.equal(0) // checked, not admitted
        const forged = { ...transfer(carol, 0n, alice, 1n), signature: new Uint8Array(64).fill(1) }
        const fresh = transfer(carol, 1n, alice, 1n)
        await rejects(pool.checkStatelessMany([encodeTx(forged), encodeTx(fresh)]), 'INVALID', /signature does not verify/)
        expect(pool.verified(fresh)).to.equal(false) // nothing of a rejected batch is remembered as checked
        await rejects(pool.checkStatelessMany([encodeTx(transfer(alice, 1n, bob, 10n, 5n))]), 'FEE_TOO_LOW')
        await rejects(pool.checkStatelessMany([new Uint8Array([1, 2, 3])]), 'INVALID', /does not decode/)
        await pool.add(decoded[0], encodeTx(good[0]), { fromPeer: true })
        expect(pool.select(1 << 20, 10).map(p => p.fromPeer)).to.deep.equal([true])
      } finally {
        await verifier?.close()
      }
    })
  }

  it('remembers a checked signature for four pools of later checks, and then forgets it', async () => {
    const chain = await openChain(testGenesis(3))
    const pool = poolFor(chain, { maxTxs: 3 })
    const first = transfer(alice, 0n, bob, 1n)
    await pool.checkStatelessMany([encodeTx(first)])
    // gossip checked while the pool was full: the transaction waits in other validators' pools
    const later = (from: number, count: number): Uint8Array[] =>
      Array.from({ length: count }, (_, i) => encodeTx(transfer(bob, BigInt(from + i), carol, 1n)))
    await pool.checkStatelessMany(later(0, 4 * 3))
    expect(pool.verified(first)).to.equal(true)
    // the memo is bounded: two more generations push it out
    await pool.checkStatelessMany(later(12, 2 * 4 * 3))
    expect(pool.verified(first)).to.equal(false)
  })

  it('checks the balance against committed state plus pending spends', async () => {
    const chain = await openChain(testGenesis(3, 100_000n))
    const pool = poolFor(chain)
    const first = transfer(alice, 0n, bob, 60_000n)
    await pool.add(first)
    await rejects(pool.add(transfer(alice, 1n, bob, 60_000n)), 'INSUFFICIENT_FUNDS', /on top of/)
  })

  it('refuses a committed transaction (replay) and a used nonce after the block', async () => {
    const chain = await openChain(testGenesis(3))
    const pool = poolFor(chain)
    const t0 = transfer(alice, 0n, bob, 10n)
    await pool.add(t0)
    const committed = await chain.commit(nextBlock(chain, pool.select(1 << 20, 100).map(p => p.tx)), null)
    await pool.recheck(committed.executed.map(e => e.id), committed.executed.map(e => e.sender))
    expect(pool.size).to.equal(0)
    await rejects(pool.add(t0), 'ALREADY_COMMITTED')
    await rejects(pool.add(transfer(alice, 0n, carol, 11n)), 'NONCE_TOO_LOW')
  })

  it('selects by fee across senders but keeps each sender\'s nonce order', async () => {
    const chain = await openChain(testGenesis(3))
    const pool = poolFor(chain)
    await pool.add(transfer(alice, 0n, bob, 1n, 5_000n))
    await pool.add(transfer(alice, 1n, bob, 1n, 90_000n))
    await pool.add(transfer(bob, 0n, alice, 1n, 50_000n))
    await pool.add(transfer(carol, 0n, alice, 1n, 10_000n))
    const picked = pool.select(1 << 20, 10).map(p => `${p.tx.fee}`)
    expect(picked).to.deep.equal(['50000', '10000', '5000', '90000'])
    expect(pool.select(1 << 20, 2)).to.have.length(2)
  })

  it('evicts the lowest-fee tail when full, and refuses a lower fee', async () => {
    const chain = await openChain(testGenesis(3))
    const pool = poolFor(chain, { maxTxs: 2 })
    const removed: string[] = []
    pool.onRemoved(p => removed.push(p.idHex))
    const cheap = await pool.add(transfer(alice, 0n, bob, 1n, 4_000n))
    await pool.add(transfer(bob, 0n, alice, 1n, 8_000n))
    await rejects(pool.add(transfer(carol, 0n, alice, 1n, 3_000n)), 'FULL')
    await pool.add(transfer(carol, 0n, alice, 1n, 9_000n))
    expect(removed).to.deep.equal([cheap.idHex])
    expect(pool.size).to.equal(2)
  })

  it('re-checks after a block: drops what the block made stale', async () => {
    const chain = await openChain(testGenesis(3, 100_000n))
    const pool = poolFor(chain)
    await pool.add(transfer(alice, 0n, bob, 30_000n))
    await pool.add(transfer(alice, 1n, bob, 30_000n))
    // the block carries a different transaction at nonce 0 that drains alice
    const other = transfer(alice, 0n, carol, 90_000n)
    const committed = await chain.commit(nextBlock(chain, [other]), null)
    await pool.recheck(committed.executed.map(e => e.id), committed.executed.map(e => e.sender))
    expect(pool.size).to.equal(0)
  })

  it('decides again when a block commits while an admission waits for state', async () => {
    const chain = await openChain(testGenesis(3))
    let gate: (() => void) | undefined
    const pool = new Mempool({
      chainId: chain.chainId,
      params: chain.params,
      // the first read is held until the block below has committed and the pool re-checked
      account: async (a) => {
        const before = decodeAccount(await chain.state.get(accountKey(a)))
        if (gate === undefined) await new Promise<void>(resolve => { gate = resolve })
        return before
      },
      isCommitted: async (id) => (await chain.blocks.txLocation(id)) !== undefined
    })
    const tx = transfer(alice, 0n, bob, 10n)
    const admitting = pool.add(tx, undefined, { fromPeer: true })
    while (gate === undefined) await new Promise(resolve => setImmediate(resolve))
    const committed = await chain.commit(nextBlock(chain, [tx]), null)
    await pool.recheck(committed.executed.map(e => e.id), committed.executed.map(e => e.sender))
    gate()
    await rejects(admitting, 'ALREADY_COMMITTED')
    expect(pool.size).to.equal(0)
  })

  it('refuses a body the state machine would reject, with its message', async () => {
    const chain = await openChain(testGenesis(3))
    const pool = poolFor(chain)
    await rejects(pool.add(transfer(alice, 0n, bob, 0n)), 'REJECTED', /must be positive/)
  })

  it('keeps byte accounting exact', async () => {
    const chain = await openChain(testGenesis(3))
    const pool = poolFor(chain)
    const t = transfer(alice, 0n, bob, 1n)
    await pool.add(t)
    expect(pool.bytes).to.equal(encodeTx(t).length)
    expect(CHAIN_ID).to.equal(chain.chainId)
  })
})
