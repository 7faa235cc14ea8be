import { expect } from 'chai'
import fc from 'fast-check'
import { startTestNode, waitFor, type TestNode } from '../helpers/node.js'
import { devnetFaucetKey } from '../../src/node/devnetKeys.js'
import { buildTx, fetchParams, sendTx, submit } from '../../src/client/tx.js'
import { RpcClientError } from '../../src/client/rpcClient.js'
import { encodeTx, signTx } from '../../src/blocks/index.js'
import { toHex, fromHex } from '../../src/codec/index.js'
import { encodeAddress, ed25519Generate, accountFromSecretKey } from '../../src/crypto/index.js'
import { verifyStateProof, stateProofFromJSON } from '../../src/state/commitment/index.js'
import { accountKey } from '../../src/state/index.js'

async function post (url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number, json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  const text = await res.text()
  return { status: res.status, json: text.length > 0 ? JSON.parse(text) : null }
}

async function rpcError (p: Promise<unknown>): Promise<RpcClientError> {
  const err = await p.then(() => undefined, (e) => e)
  expect(err, 'expected an RPC error').to.be.instanceOf(RpcClientError)
  return err
}

describe('integration: JSON-RPC against a running node', function () {
  this.timeout(60_000)
  let t: TestNode
  const faucet = devnetFaucetKey()
  const bob = accountFromSecretKey(ed25519Generate().secretKey)

  before(async () => { t = await startTestNode({ rpc: { maxBodyBytes: 64 * 1024 } }) })
  after(async () => { await t?.stop() })

  it('commits blocks and reports chain_info', async () => {
    const info = await waitFor(async () => { const i = await t.rpc.call('chain_info'); return i.height >= 2 ? i : undefined }, 10_000, 'two blocks')
    expect(info).to.include({ chainId: 'folio-devnet-1', validators: 1, syncing: false })
    expect(info.hash).to.match(/^0x[0-9a-f]{64}$/)
  })

  it('moves funds with a signed transfer and reports it through tx_get, account_get and chain_getBlock', async () => {
    const sent = await submit(t.rpc, faucet, 'transfer', { to: bob.address, amount: 777n })
    expect(sent.height).to.be.a('number')
    const acct = await t.rpc.call('account_get', { address: encodeAddress(bob.address) })
    expect(acct).to.include({ balance: '777', nonce: 0 })
    const got = await t.rpc.call('tx_get', { hash: sent.hash })
    expect(got).to.include({ hash: sent.hash, height: sent.height })
    expect(got.result.ok).to.equal(true)
    const byHeight = await t.rpc.call('chain_getBlock', { height: sent.height })
    expect(byHeight.txs.map((x: any) => x.id)).to.include(sent.hash)
    const byHash = await t.rpc.call('chain_getBlock', { hash: byHeight.hash })
    expect(byHash.header.height).to.equal(sent.height)
    const ids = await t.rpc.call('chain_getBlock', { height: sent.height, txs: 'ids' })
    expect(ids.txIds).to.deep.equal(byHeight.txs.map((x: any) => x.id))
    expect(ids).to.not.have.property('txs')
    for (const field of ['hash', 'header', 'lastCommit']) expect(ids[field]).to.deep.equal(byHeight[field])
    const bad = await t.rpc.call('chain_getBlock', { height: sent.height, txs: 'some' }).catch((e: Error) => e)
    expect(String(bad)).to.match(/"txs" must be "full" or "ids"/)
  })

  it('proves an account against the state root carried by the next header', async () => {
    const res = await t.rpc.call('state_getProof', { account: encodeAddress(bob.address) })
    const next = await waitFor(async () => await t.rpc.call('chain_getBlock', { height: res.height + 1 }), 10_000, 'next block')
    expect(next.header.stateRoot).to.equal(res.root)
    const ok = verifyStateProof(fromHex(next.header.stateRoot), accountKey(bob.address), fromHex(res.value), stateProofFromJSON(res.proof))
    expect(ok).to.equal(true)
    const forged = verifyStateProof(fromHex(next.header.stateRoot), accountKey(bob.address), new Uint8Array([1, 2]), stateProofFromJSON(res.proof))
    expect(forged).to.equal(false)
  })

  it('refuses wrong-chain, forged, replayed, gapped and overdrawn transactions with clear errors', async () => {
    const params = await fetchParams(t.rpc)
    const acct = await t.rpc.call('account_get', { address: encodeAddress(faucet.address) })
    const nonce = BigInt(acct.pendingNonce)
    const good = buildTx(faucet, params, 'transfer', { to: bob.address, amount: 1n }, nonce)

    const wrongChain = signTx({ ...good, chainId: 'other-chain' }, faucet.secretKey)
    let err = await rpcError(sendTx(t.rpc, wrongChain, { wait: false }))
    expect(err.rpcCode).to.equal(-32001)
    expect(err.message).to.match(/chain/)

    const forged = { ...good, signature: new Uint8Array(64).fill(9) }
    err = await rpcError(sendTx(t.rpc, forged, { wait: false }))
    expect(err.message).to.match(/signature/i)

    const gap = buildTx(faucet, params, 'transfer', { to: bob.address, amount: 1n }, nonce + 5n)
    err = await rpcError(sendTx(t.rpc, gap, { wait: false }))
    expect(err.message).to.contain(`nonce ${nonce + 5n} expected ${nonce}`)

    const poor = accountFromSecretKey(ed25519Generate().secretKey)
    const overdraft = buildTx(poor, params, 'transfer', { to: bob.address, amount: 5n }, 0n)
    err = await rpcError(sendTx(t.rpc, overdraft, { wait: false }))
    expect((err.data as any).reason).to.equal('INSUFFICIENT_FUNDS')

    const committed = await sendTx(t.rpc, good)
    expect(committed.height).to.be.a('number')
    err = await rpcError(sendTx(t.rpc, good, { wait: false }))
    expect((err.data as any).reason).to.equal('ALREADY_COMMITTED')
  })

  it('serves the commit of a height and the validator set that signed it', async () => {
    const { verifyCommit, ValidatorSet } = await import('../../src/consensus/index.js')
    const { commitFromJSON } = await import('../helpers/commitJson.js')
    const c = await t.rpc.call('chain_getCommit', { height: 1 })
    expect(c.height).to.equal(1)
    const vals = await t.rpc.call('chain_getValidators', { height: 1 })
    expect(vals.validators).to.have.length(1)
    expect(vals.validators[0].power).to.equal('100')
    const set = new ValidatorSet(vals.validators.map((v: any) => ({ address: fromHex(v.address), publicKey: fromHex(v.publicKey), power: BigInt(v.power) })))
    expect(() => verifyCommit('folio-devnet-1', set, commitFromJSON(c))).to.not.throw()
    const err = await rpcError(t.rpc.call('chain_getCommit', { height: 9_999_999 }))
    expect(err.rpcCode).to.equal(-32004)
  })

  it('answers malformed requests with JSON-RPC errors', async () => {
    expect((await post(t.url, '{nope')).json.error.code).to.equal(-32700)
    expect((await post(t.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'no_such' }))).json.error.code).to.equal(-32601)
    expect((await post(t.url, JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'chain_info' }))).json.error.code).to.equal(-32600)
    const unknownParam = await post(t.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'account_get', params: { adress: 'x' } }))
    expect(unknownParam.json.error).to.deep.include({ code: -32602 })
    expect(unknownParam.json.error.message).to.match(/unknown parameter "adress"/)
    const badType = await post(t.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_getBlock', params: { height: 'one' } }))
    expect(badType.json.error.code).to.equal(-32602)
    const negative = await post(t.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_getBlock', params: { height: -3 } }))
    expect(negative.json.error.message).to.match(/at least 1/)
    const missing = await post(t.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_getBlock', params: { height: 10_000_000 } }))
    expect(missing.json.error.code).to.equal(-32004)
    const badHex = await post(t.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tx_send', params: { tx: '0xzz' } }))
    expect(badHex.json.error.code).to.equal(-32602)
    expect((await post(t.url, '[]')).json.error.code).to.equal(-32600)
    const big = await post(t.url, JSON.stringify(Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'chain_info' }))))
    expect(big.json.error.message).to.match(/exceeds the limit of 100/)
    const getRes = await fetch(t.url)
    expect(getRes.status).to.equal(405)
  })

  it('answers a batch in order, with per-call errors', async () => {
    const res = await post(t.url, JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'chain_info' },
      { jsonrpc: '2.0', id: 2, method: 'nope' },
      { jsonrpc: '2.0', method: 'chain_info' },
      { jsonrpc: '2.0', id: 3, method: 'account_get', params: { address: encodeAddress(bob.address) } }
    ]))
    expect(res.json.map((r: any) => r.id)).to.deep.equal([1, 2, 3])
    expect(res.json[0].result.chainId).to.equal('folio-devnet-1')
    expect(res.json[1].error.code).to.equal(-32601)
  })

  it('refuses an oversized body without reading it all', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tx_send', params: { tx: '0x' + 'ab'.repeat(100_000) } })
    const res = await post(t.url, body)
    expect(res.status).to.equal(413)
    expect(res.json.error.code).to.equal(-32006)
    expect(res.json.error.message).to.match(/exceeds 65536 bytes/)
  })

  it('survives random bodies and random transaction bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string(), fc.json()), async (body) => {
      const res = await post(t.url, body)
      expect(res.status).to.be.oneOf([200, 204])
    }), { numRuns: 40 })
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
      const res = await post(t.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tx_send', params: { tx: toHex(bytes) } }))
      expect(res.json.error.code).to.equal(-32001)
    }), { numRuns: 40 })
    const info = await t.rpc.call('chain_info')
    expect(info.height).to.be.greaterThan(0)
    expect(encodeTx).to.be.a('function')
  })
})
