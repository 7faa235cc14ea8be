/**
 * Key NFTs and share release end to end on a one-validator node (t = 1) over real HTTP: the CLI
 * contract of `folio buy` and `folio transfer-key`, the NFT RPC methods, release through the
 * node's relay (`escrow_gatherShares`) and `escrow_requestShare`, refusals for a non-holder and a
 * former holder, and the libp2p share protocol between two real hosts on 127.0.0.1.
 */
import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { join } from 'node:path'
import type { Libp2p } from '@libp2p/interface'
import { randomBytes, sha256, accountFromSecretKey, encodeAddress } from '../../src/crypto/index.js'
import { toHex, utf8 } from '../../src/codec/index.js'
import { publishBody } from '../../src/blocks/index.js'
import { submit } from '../../src/client/tx.js'
import { writeWallet } from '../../src/node/keys.js'
import { escrowModule } from '../../src/node/escrowModule.js'
import { devnetFaucetKey, devnetValidatorKey } from '../../src/node/devnetKeys.js'
import { createSwarmHost } from '../../src/torrent/host.js'
import { EscrowServer, registerEscrowProtocol, libp2pShareSource, obtainContentKey, signShareRequest, requestToJson } from '../../src/torrent/escrow/index.js'
import { unlockCard, escrowForPublish, fetchCardEscrow } from '../../src/cli/commands/keys.js'
import { startTestNode, type TestNode } from '../helpers/node.js'

const run = promisify(execFile)

describe('key escrow (integration)', function () {
  this.timeout(40_000)
  let t: TestNode
  let hosts: Libp2p[] = []
  const creator = devnetFaucetKey()
  const buyer = accountFromSecretKey(sha256(utf8('escrow it buyer')))
  const other = accountFromSecretKey(sha256(utf8('escrow it other')))

  before(async () => {
    t = await startTestNode({ modules: [escrowModule] })
    await submit(t.rpc, creator, 'transfer', { to: buyer.address, amount: 10_000_000n })
  })
  after(async () => {
    for (const h of hosts) await h.stop()
    hosts = []
    await t?.stop()
  })

  async function publishPaid (): Promise<{ card: Uint8Array, key: Uint8Array }> {
    const key = randomBytes(32)
    const { escrow, keyCommitment } = await escrowForPublish(t.rpc, key)
    const sent = await submit(t.rpc, creator, 'card.publish', publishBody({
      kind: 'audio', title: 'a song', mime: 'audio/ogg', size: 4096, sliceSize: 4096, sliceCount: 1, contentRoot: randomBytes(32),
      price: 2_500n, supply: 10, royaltyBps: 500, keySalt: randomBytes(32), escrow, keyCommitment
    }), { wait: true })
    return { card: sent.id, key }
  }

  it('folio buy → {token, hash, height}; the holder unlocks; transfer-key moves access', async () => {
    const { card, key } = await publishPaid()
    const walletFile = join(t.home, 'buyer.json')
    await writeWallet(walletFile, buyer, { insecure: true })
    const cli = async (...args: string[]): Promise<any> => {
      const { stdout } = await run(process.execPath, ['bin/folio.js', ...args, '--rpc', t.url, '--wallet', walletFile, '--json'], { timeout: 30_000 })
      return JSON.parse(stdout)
    }
    const bought = await cli('buy', toHex(card))
    expect(bought).to.have.keys('token', 'hash', 'height')
    expect(bought.token).to.equal(toHex(card) + '0000000000000001')
    const owner = await t.rpc.call('key_ownerOf', { token: bought.token })
    expect(owner).to.include({ owner: encodeAddress(buyer.address), serial: 1, card: toHex(card) })
    expect((await t.rpc.call('key_tokensOf', { address: encodeAddress(buyer.address) })).tokens.map((x: any) => x.token)).to.deep.equal([bought.token])

    const unlocked = await unlockCard(t.rpc, buyer, card)
    expect(unlocked.key).to.deep.equal(key)
    expect(unlocked.used).to.have.length(1)

    const moved = await cli('transfer-key', bought.token, '--to', encodeAddress(other.address))
    expect(moved).to.have.keys('hash', 'height')
    await unlockCard(t.rpc, buyer, card).then(() => expect.fail('former holder got the key'), (e) => expect(e.message).to.match(/holds no key/))
    // the node's relay asks every escrow validator; each refuses the former holder
    const head = (await t.rpc.call('chain_info')).height
    const token = Uint8Array.from(Buffer.from(bought.token.slice(2), 'hex'))
    const gathered = await t.rpc.call('escrow_gatherShares', { request: requestToJson(signShareRequest(buyer, { chainId: 'folio-devnet-1', card, token, height: head })) })
    expect(gathered.answers.map((a: any) => a.reason)).to.deep.equal(['not the holder'])
    expect((await unlockCard(t.rpc, other, card)).key).to.deep.equal(key)
  })

  it('escrow_requestShare refuses a non-holder, a stale height and a malformed request', async () => {
    const { card } = await publishPaid()
    const head = (await t.rpc.call('chain_info')).height
    const req = (height: number): Record<string, unknown> => requestToJson(signShareRequest(other, { chainId: 'folio-devnet-1', card, token: new Uint8Array([...card, 0, 0, 0, 0, 0, 0, 0, 1]), height }))
    expect(await t.rpc.call('escrow_requestShare', { request: req(head) })).to.include({ ok: false, reason: 'not the holder' })
    // a height ahead of the validator's head waits briefly for it, then is refused
    expect(await t.rpc.call('escrow_requestShare', { request: req(head + 1000) })).to.include({ ok: false, reason: 'stale height' })
    await t.rpc.call('escrow_requestShare', { request: { card: '0x12' } }).then(() => expect.fail('accepted'), (e) => expect(e.rpcCode).to.equal(-32602))
    expect((await t.rpc.call('key_listings', { card: toHex(card) })).listings).to.deep.equal([])
  })

  it('the libp2p share protocol between two real hosts', async () => {
    const { card, key } = await publishPaid()
    await submit(t.rpc, buyer, 'key.buy', { card, maxPrice: 2_500n }, { wait: true })
    const chain = t.node.chain
    const server = new EscrowServer({ chainId: chain.chainId, headHeight: () => chain.head().height, state: chain.state }, devnetValidatorKey(0))
    const validatorHost = await createSwarmHost({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    const holderHost = await createSwarmHost({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    hosts = [validatorHost, holderHost]
    await registerEscrowProtocol(validatorHost, server, { timeoutMs: 5_000, maxInboundStreams: 16 })
    await holderHost.dial(validatorHost.getMultiaddrs()[0]!)
    const esc = await fetchCardEscrow(t.rpc, card)
    const token = Uint8Array.from([...card, 0, 0, 0, 0, 0, 0, 0, 1])
    const r = await obtainContentKey(esc, token, buyer, { chainId: chain.chainId, height: chain.head().height, sources: [libp2pShareSource(holderHost, validatorHost.peerId.toString())] })
    expect(r.key).to.deep.equal(key)
  })
})
