/**
 * The feed module: the feed indexes (written with each block), `card_get`, `feed_query`,
 * subscriptions and the WebSocket endpoint `/ws`. At start it rebuilds the index when it is
 * missing, of an older layout or behind the chain (e.g. after `folio reindex` was interrupted).
 */
import type { NodeModule } from './modules.js'
import { FeedIndex, cursorSecret } from '../state/index.js'
import { feedMethods, FeedHub } from '../rpc/methods/feed.js'
import { attachWebSocket } from '../rpc/ws.js'

export const feedModule: NodeModule = {
  name: 'feed',
  start: async (ctx) => {
    const { chain, log } = ctx
    const index = new FeedIndex(chain.kv, chain.state)
    const status = await index.status()
    const head = chain.head().height
    if (status.current && status.height === head) {
      // up to date
    } else if (head === 0 && status.height <= 0) {
      await index.markCurrent(0)
    } else {
      log.info({ indexHeight: status.height, head, current: status.current }, 'rebuilding the feed index from blocks')
      const { cards } = await index.rebuild(chain.blocks, head)
      log.info({ cards }, 'feed index rebuilt')
    }
    chain.addIndexer(index.indexer())
    const secret = await cursorSecret(chain.kv)
    const hub = new FeedHub(chain, index, log)
    const off = chain.onBlock((b) => { hub.onBlock(b, index.onCommitted(b)) })
    // the WebSocket endpoint closes with the RPC server, which stops first
    attachWebSocket(ctx.rpc, log, {
      maxMessageBytes: ctx.rpc.opts.maxBodyBytes,
      ratePerSec: Math.min(ctx.rpc.opts.ratePerSec, 1_000)
    })
    return {
      methods: feedMethods({ chain, index, secret, hub }),
      stop: async () => {
        off()
        hub.close()
      }
    }
  }
}
