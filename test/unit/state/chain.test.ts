import { expect } from 'chai'
import fc from 'fast-check'
import { accountKey, decodeAccount, MemoryStore, StateError, type Chain } from '../../../src/state/index.js'
import { bytesEqual, toHex } from '../../../src/codec/index.js'
import type { Block } from '../../../src/blocks/types.js'
import { testAccount, testGenesis, openChain, transfer, nextBlock, totalBalance } from '../../helpers/chainFixture.js'

const N = 5
const accounts = Array.from({ length: N }, (_, i) => testAccount(i))
const operator = testAccount(999)
const everyone = [...accounts.map(a => a.address), operator.address]

async function balance (chain: Chain, address: Uint8Array): Promise<bigint> {
  return decodeAccount(await chain.state.get(accountKey(address))).balance
}

describe('state: chain', () => {
  it('allocates genesis balances and commits to them with a root', async () => {
    const chain = await openChain(testGenesis(N, 500n))
    expect(chain.head().height).to.equal(0)
    expect(await balance(chain, accounts[3].address)).to.equal(500n)
    expect(chain.head().stateRoot).to.deep.equal(chain.state.root())
  })

  it('moves funds, pays the fee to the proposer\'s operator and advances the nonce', async () => {
    const chain = await openChain(testGenesis(N))
    const tx = transfer(accounts[0], 0n, accounts[1], 1234n)
    const committed = await chain.commit(nextBlock(chain, [tx]), null)
    expect(committed.executed[0].result.ok).to.equal(true)
    expect(await balance(chain, accounts[0].address)).to.equal(1_000_000_000n - 1234n - tx.fee)
    expect(await balance(chain, accounts[1].address)).to.equal(1_000_000_000n + 1234n)
    expect(await balance(chain, operator.address)).to.equal(tx.fee)
    expect(decodeAccount(await chain.state.get(accountKey(accounts[0].address))).nonce).to.equal(1n)
    const loc = await chain.blocks.txLocation(committed.executed[0].id)
    expect(loc).to.deep.include({ height: 1, index: 0 })
  })

  it('records a failed body: fee paid, nonce used, no funds moved', async () => {
    const chain = await openChain(testGenesis(N, 100_000n))
    const tx = transfer(accounts[0], 0n, accounts[1], 10_000_000n)
    const committed = await chain.commit(nextBlock(chain, [tx]), null)
    expect(committed.executed[0].result).to.include({ ok: false, code: 'INSUFFICIENT_FUNDS' })
    expect(await balance(chain, accounts[0].address)).to.equal(100_000n - tx.fee)
    expect(await balance(chain, accounts[1].address)).to.equal(100_000n)
    const loc = await chain.blocks.txLocation(committed.executed[0].id)
    expect(loc?.result.ok).to.equal(false)
  })

  it('refuses a block whose transaction has the wrong nonce, without writing anything', async () => {
    const chain = await openChain(testGenesis(N))
    const rootBefore = chain.state.root()
    const err = await chain.commit(nextBlock(chain, [transfer(accounts[0], 5n, accounts[1], 1n)]), null).catch(e => e)
    expect(err).to.be.instanceOf(StateError)
    expect(err.code).to.equal('INVALID_BLOCK')
    expect(err.message).to.match(/nonce 5 expected 0/)
    expect(chain.head().height).to.equal(0)
    expect(chain.state.root()).to.deep.equal(rootBefore)
  })

  it('refuses blocks that do not extend the head', async () => {
    const chain = await openChain(testGenesis(N))
    const b = nextBlock(chain, [])
    const wrongParent: Block = { ...b, header: { ...b.header, prevHash: new Uint8Array(32).fill(7) } }
    await chain.commit(wrongParent, null).then(() => expect.fail('accepted'), (e) => expect(e.message).to.match(/does not extend/))
    const wrongRoot: Block = { ...b, header: { ...b.header, stateRoot: new Uint8Array(32).fill(1) } }
    await chain.commit(wrongRoot, null).then(() => expect.fail('accepted'), (e) => expect(e.message).to.match(/state root/))
  })

  it('conserves total supply across random transfers, including failing ones', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.array(fc.record({
        from: fc.nat(N - 1), to: fc.nat(N - 1), amount: fc.bigInt(0n, 3_000_000n)
      }), { maxLength: 6 }), { minLength: 1, maxLength: 5 }),
      async (blocks) => {
        const chain = await openChain(testGenesis(N, 2_000_000n))
        const supply = await totalBalance(chain, everyone)
        const nonces: bigint[] = new Array(N).fill(0n)
        for (const spec of blocks) {
          const txs = spec.map(t => transfer(accounts[t.from], nonces[t.from]++, accounts[t.to], t.amount))
          // fees can exceed a drained balance; such a block is refused, so stop issuing from then on
          try {
            await chain.commit(nextBlock(chain, txs), null)
          } catch (err) {
            expect((err as StateError).code).to.equal('INVALID_BLOCK')
            break
          }
          expect(await totalBalance(chain, everyone)).to.equal(supply)
        }
      }), { numRuns: 25 })
  })

  it('replaying the same blocks from genesis yields the same roots', async () => {
    const a = await openChain(testGenesis(N))
    const blocks: Block[] = []
    const roots: string[] = []
    for (let h = 0; h < 8; h++) {
      const txs = accounts.slice(0, 3).map((acct, i) => transfer(acct, BigInt(h), accounts[(i + h + 1) % N], BigInt(100 + h * 7 + i)))
      const block = nextBlock(a, txs)
      blocks.push(block)
      await a.commit(block, null)
      roots.push(toHex(a.head().stateRoot))
    }
    const b = await openChain(testGenesis(N))
    for (const [i, block] of blocks.entries()) {
      await b.commit(block, null)
      expect(toHex(b.head().stateRoot)).to.equal(roots[i])
    }
    expect(bytesEqual(a.head().hash, b.head().hash)).to.equal(true)
  })

  it('reopens a store at the committed head with the same root, and refuses another genesis', async () => {
    const store = new MemoryStore()
    const chain = await openChain(testGenesis(N), store)
    await chain.commit(nextBlock(chain, [transfer(accounts[0], 0n, accounts[1], 5n)]), null)
    const reopened = await openChain(testGenesis(N), store)
    expect(reopened.head().height).to.equal(1)
    expect(reopened.state.root()).to.deep.equal(chain.head().stateRoot)
    const other = { ...testGenesis(N), chainId: 'another-chain' }
    const err = await openChain(other, store).catch(e => e)
    expect(err.code).to.equal('INVALID_GENESIS')
  })

  it('proves account values against the root', async () => {
    const { verifyStateProof } = await import('../../../src/state/commitment/index.js')
    const chain = await openChain(testGenesis(N))
    await chain.commit(nextBlock(chain, [transfer(accounts[0], 0n, accounts[1], 5n)]), null)
    const key = accountKey(accounts[1].address)
    const value = await chain.state.get(key) as Uint8Array
    const proof = await chain.state.commitment.prove(key)
    expect(verifyStateProof(chain.head().stateRoot, key, value, proof)).to.equal(true)
    expect(verifyStateProof(chain.head().stateRoot, key, null, proof)).to.equal(false)
    const absent = accountKey(testAccount(77).address)
    const absentProof = await chain.state.commitment.prove(absent)
    expect(verifyStateProof(chain.head().stateRoot, absent, null, absentProof)).to.equal(true)
  })
})

describe('state: cached reads racing a commit', () => {
  it('never caches a value read from before a block that committed during the read', async () => {
    const { MemoryStore: Mem, accountKey: aKey, decodeAccount: dec } = await import('../../../src/state/index.js')
    const store = new Mem()
    const chain = await openChain(testGenesis(N), store)
    const key = aKey(accounts[1].address)
    // a slow disk: the first read resolves only after the block below has committed
    const realGet = store.get.bind(store)
    let release: () => void = () => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    let first = true
    store.get = async (k: Uint8Array) => {
      const v = await realGet(k)
      if (first) { first = false; await gate }
      return v
    }
    ;(chain.state as any).cache.clear()
    const racing = chain.state.get(key)
    await chain.commit(nextBlock(chain, [transfer(accounts[0], 0n, accounts[1], 42n)]), null)
    release()
    const seen = dec(await racing)
    const cached = dec(await chain.state.get(key))
    expect(cached.balance).to.equal(1_000_000_000n + 42n)
    expect(seen.balance).to.equal(1_000_000_000n + 42n)
  })
})
