import { expect } from 'chai'
import WebSocket from 'ws'
import { startTestNode, waitFor, type TestNode } from '../helpers/node.js'
import { feedModule } from '../../src/node/feedModule.js'
import { devnetFaucetKey } from '../../src/node/devnetKeys.js'
import { submit } from '../../src/client/tx.js'
import { toHex, fromHex } from '../../src/codec/index.js'
import { encodeAddress } from '../../src/crypto/index.js'
import { accountSocial } from '../../src/state/index.js'
import { postBody } from '../unit/feed/helpers.js'

async function post (url: string, method: string, params: unknown): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  return await res.json()
}

/** A WebSocket JSON-RPC client that records every push by subscription. */
class WsClient {
  readonly pushes = new Map<string, any[]>()
  private readonly waiting = new Map<number, (v: any) => void>()
  private nextId = 1
  closed: { code: number } | undefined
  private constructor (readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString())
      if (msg.method === 'subscription') {
        const list = this.pushes.get(msg.params.subscription) ?? []
        list.push(msg.params.result)
        this.pushes.set(msg.params.subscription, list)
      } else if (typeof msg.id === 'number') {
        this.waiting.get(msg.id)?.(msg)
        this.waiting.delete(msg.id)
      }
    })
    ws.on('close', (code) => { this.closed = { code } })
  }

  static async open (url: string): Promise<WsClient> {
    const ws = new WebSocket(url)
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    return new WsClient(ws)
  }

  async call (method: string, params: unknown): Promise<any> {
    const id = this.nextId++
    const reply = new Promise(resolve => this.waiting.set(id, resolve))
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    return await reply
  }

  got (sub: string): any[] { return this.pushes.get(sub) ?? [] }
}

describe('integration: feed over HTTP and WebSocket', function () {
  this.timeout(60_000)
  let t: TestNode
  let ws: WsClient
  const faucet = devnetFaucetKey()
  const publish = async (over: Parameters<typeof postBody>[0]): Promise<string> => toHex((await submit(t.rpc, faucet, 'card.publish', postBody(over))).id)

  before(async () => {
    t = await startTestNode({ modules: [feedModule], rpc: { maxBodyBytes: 64 * 1024 } })
    ws = await WsClient.open(t.url.replace(/^http/, 'ws').replace(/\/rpc$/, '/ws'))
  })
  after(async () => {
    ws?.ws.close()
    await t?.stop()
  })

  it('pushes exactly the matching new cards to feed subscribers, and new heads', async () => {
    const images = (await ws.call('subscribe', { topic: 'feed', filter: { kind: ['image'] } })).result.subscription
    const cats = (await ws.call('subscribe', { topic: 'feed', filter: { tags: ['cats'], free: true } })).result.subscription
    const heads = (await ws.call('subscribe', { topic: 'newHeads' })).result.subscription
    const a = await publish({ kind: 'image', title: 'a cat', tags: ['cats'] })
    const b = await publish({ kind: 'image', title: 'a dog', price: 100n })
    const c = await publish({ kind: 'video', title: 'cats again', tags: ['Cats'] })
    await publish({ kind: 'text', body: 'nothing to see' })
    const marker = await submit(t.rpc, faucet, 'card.publish', postBody({ body: 'marker' }))
    await waitFor(async () => ws.got(heads).some(h => h.height >= (marker.height as number)), 10_000, 'the marker block head')
    expect(ws.got(images).map(x => x.id)).to.deep.equal([a, b])
    expect(ws.got(cats).map(x => x.id)).to.deep.equal([a, c])
    expect(ws.got(images)[0]).to.include({ kind: 'image', title: 'a cat', creator: encodeAddress(faucet.address) })
    expect((await ws.call('unsubscribe', { subscription: images })).result).to.equal(true)
  })

  it('answers feed_query and card_get with counters, paging by cursor', async () => {
    const id = await publish({ kind: 'software', title: 'tool', tags: ['rust'], price: 2_000_000n })
    await submit(t.rpc, faucet, 'card.react', { card: fromHex(id), reaction: 'like' })
    const card = await t.rpc.call('card_get', { card: id })
    expect(card).to.include({ id, kind: 'software', price: '2000000', free: false })
    expect(card.counters.reactions.like).to.equal(1)
    const all: string[] = []
    let cursor: string | null = null
    do {
      const page: any = await t.rpc.call('feed_query', { filter: { kind: ['image', 'video', 'software'] }, sort: 'new', limit: 2, ...(cursor !== null ? { cursor } : {}) })
      all.push(...page.items.map((i: any) => i.kind))
      cursor = page.cursor
    } while (cursor !== null)
    expect(all).to.deep.equal(['software', 'video', 'image', 'image'])
    const top = await t.rpc.call('feed_query', { sort: 'top', limit: 1 })
    expect(top.items[0].id).to.equal(id)
    expect(top.cursor).to.be.a('string')
    const social = await accountSocial(t.node.chain, faucet.address)
    expect(social.cards).to.be.at.least(6)
  })

  it('refuses malformed queries with -32602 and a reason, never a crash', async () => {
    const first = await post(t.url, 'feed_query', { limit: 1 })
    const cursor: string = first.result.cursor
    const forged = cursor.slice(0, 10) + (cursor[10] === 'A' ? 'B' : 'A') + cursor.slice(11)
    const bad: Array<[unknown, RegExp]> = [
      [{ filter: { colour: 'red' } }, /unknown parameter "colour"/],
      [{ filter: { kind: 'image' } }, /"kind" must be an array/],
      [{ filter: { kind: ['pictures'] } }, /not one of/],
      [{ filter: { creator: new Array(101).fill(encodeAddress(faucet.address)) } }, /101 items; at most 100/],
      [{ filter: { tags: new Array(5000).fill('x') } }, /at most 10/],
      [{ filter: { since: -1 } }, /at least 0/],
      [{ filter: { text: '!!' } }, /no searchable word/],
      [{ filter: { maxPrice: '1e9' } }, /decimal string/],
      [{ filter: [] }, /must be an object/],
      [{ limit: -5 }, /at least 1/],
      [{ limit: 101 }, /at most 100/],
      [{ sort: 'best' }, /"sort" must be one of/],
      [{ cursor: forged }, /cursor does not verify/],
      [{ cursor: 'not a cursor!' }, /not a cursor this node issued/],
      [{ cursor, sort: 'top' }, /issued for sort "new"/],
      [{ cursor, filter: { free: true } }, /different filter/]
    ]
    for (const [params, msg] of bad) {
      const res = await post(t.url, 'feed_query', params)
      expect(res.error?.code, JSON.stringify(params).slice(0, 80)).to.equal(-32602)
      expect(res.error.message).to.match(msg)
    }
    expect((await post(t.url, 'subscribe', { topic: 'newHeads' })).error.message).to.match(/WebSocket/)
    expect((await post(t.url, 'card_get', { card: toHex(new Uint8Array(32)) })).error.code).to.equal(-32004)
  })

  it('limits WebSocket clients: too many subscriptions and oversized messages', async () => {
    const extra = await WsClient.open(t.url.replace(/^http/, 'ws').replace(/\/rpc$/, '/ws'))
    const replies = []
    for (let i = 0; i < 17; i++) replies.push(await extra.call('subscribe', { topic: 'newHeads' }))
    expect(replies.slice(0, 16).every(r => typeof r.result?.subscription === 'string')).to.equal(true)
    expect(replies[16].error.message).to.match(/at most 16 subscriptions/)
    extra.ws.send('x'.repeat(70 * 1024))
    await waitFor(async () => extra.closed, 5_000, 'the oversized message to close the connection')
    expect(extra.closed?.code).to.equal(1009)
  })

  // last: it stops the node
  it('stops promptly with subscribers still connected, telling them it is going away', async () => {
    const sub = await ws.call('subscribe', { topic: 'newHeads' })
    expect(sub.result?.subscription).to.be.a('string')
    const started = Date.now()
    await t.stop()
    expect(Date.now() - started).to.be.below(5_000)
    await waitFor(async () => ws.closed, 2_000, 'the subscriber to see the close')
    expect(ws.closed?.code).to.equal(1001)
  })
})
