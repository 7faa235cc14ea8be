/**
 * A small social world on a LevelDB chain with the feed indexer: four creators, mixed kinds, tags,
 * prices, words and replies, reactions, follows, a mute and flags — plus an independent model of
 * every card, so feed queries can be checked against a brute-force answer.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Account } from '../../../src/crypto/index.js'
import { toHex } from '../../../src/codec/index.js'
import type { CardKind } from '../../../src/blocks/index.js'
import {
  LevelStore, FeedIndex, getCounters, trendingScore, reactionTotal, type Chain
} from '../../../src/state/index.js'
import { testAccount, testGenesis, openChain } from '../../helpers/chainFixture.js'
import { Sender, commit } from './helpers.js'
import type { Tx } from '../../../src/blocks/types.js'
import { seededRandom } from '../../helpers/prng.js'

export interface ModelCard {
  id: Uint8Array
  height: number
  index: number
  kind: CardKind
  creator: number
  price: bigint
  tags: string[]
  words: string[]
  parent: Uint8Array | null
  flaggers: Set<number>
  top: number
  trending: number
}

export interface World {
  chain: Chain
  index: FeedIndex
  accounts: Account[]
  cards: ModelCard[]
  follows: Map<number, Set<number>>
  mutes: Map<number, Set<number>>
  sender: Sender
  close: () => Promise<void>
}

const KINDS: CardKind[] = ['text', 'image', 'video', 'software']
const TAGS = ['music', 'Art', 'news', 'rust']
const TEXTS = ['alpha beta', 'beta gamma', 'gamma delta', 'Alpha omega']

/** A deterministic PRNG, so the world is the same every run. */
export const rng = seededRandom

export async function buildWorld (opts: { cards?: number, perBlock?: number } = {}): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'folio-feed-'))
  const store = await LevelStore.open(join(dir, 'db'))
  const chain = await openChain(testGenesis(6), store)
  const index = new FeedIndex(chain.kv, chain.state)
  await index.markCurrent(0)
  chain.addIndexer(index.indexer())
  chain.onBlock(b => { index.onCommitted(b) })
  const accounts = Array.from({ length: 6 }, (_, i) => testAccount(i))
  const s = new Sender()
  const rand = rng(7)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]
  const cards: ModelCard[] = []
  const total = opts.cards ?? 40
  const perBlock = opts.perBlock ?? 8
  for (let b = 0; b < total / perBlock; b++) {
    const txs: Tx[] = []
    const made: ModelCard[] = []
    for (let i = 0; i < perBlock; i++) {
      const creator = Math.floor(rand() * 4)
      const tags = TAGS.filter(() => rand() < 0.35)
      const text = pick(TEXTS)
      const parent = cards.length > 3 && rand() < 0.2 ? pick(cards.slice(0, 4)).id : null
      const price = rand() < 0.5 ? 0n : pick([1000n, 5000n])
      const kind = pick(KINDS)
      const { tx, id } = s.publish(accounts[creator], { kind, body: text, tags, price, parent })
      txs.push(tx)
      const words = [...new Set(`${text} ${tags.join(' ')}`.toLowerCase().split(' '))]
      made.push({ id, height: b + 1, index: i, kind, creator, price, tags: tags.map(t => t.toLowerCase()), words, parent, flaggers: new Set(), top: 0, trending: 0 })
    }
    await commit(chain, txs)
    cards.push(...made)
  }
  // engagement, follows, a mute and flags
  const follows = new Map<number, Set<number>>([[4, new Set([0, 1, 5])], [5, new Set([2])]])
  const mutes = new Map<number, Set<number>>([[4, new Set([1])]])
  const social: Tx[] = []
  for (const [a, set] of follows) for (const b of set) social.push(s.tx(accounts[a], 'social.follow', { account: accounts[b].address }))
  for (const [a, set] of mutes) for (const b of set) social.push(s.tx(accounts[a], 'social.mute', { account: accounts[b].address }))
  for (const c of cards.filter((_, i) => i % 7 === 3)) {
    social.push(s.tx(accounts[5], 'card.flag', { card: c.id, reason: 'spam' }))
    c.flaggers.add(5)
  }
  for (const c of cards.filter((_, i) => i % 11 === 5)) {
    social.push(s.tx(accounts[3], 'card.flag', { card: c.id, reason: 'off-topic' }))
    c.flaggers.add(3)
  }
  await commit(chain, social)
  for (let round = 0; round < 3; round++) {
    const txs: Tx[] = []
    const reacted = new Set<string>()
    for (let k = 0; k < 12; k++) {
      const who = Math.floor(rand() * 6)
      const c = pick(cards)
      const key = `${who}:${toHex(c.id)}:${round}`
      if (reacted.has(key)) continue
      reacted.add(key)
      txs.push(s.tx(accounts[who], 'card.view', { card: c.id }))
    }
    await commit(chain, txs)
  }
  const reactTxs: Tx[] = []
  for (let who = 0; who < 6; who++) {
    for (const c of cards.filter(() => rand() < 0.3)) reactTxs.push(s.tx(accounts[who], 'card.react', { card: c.id, reaction: pick(['like', 'love', 'wow'] as const) }))
  }
  await commit(chain, reactTxs)
  await refreshScores({ chain, cards } as unknown as World)
  return {
    chain, index, accounts, cards, follows, mutes, sender: s,
    close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }) }
  }
}

/** Reads every model card's counters back from state (views may have failed as repeats). */
export async function refreshScores (w: Pick<World, 'chain' | 'cards'>): Promise<void> {
  for (const c of w.cards) {
    const n = await getCounters(w.chain.overlay(), c.id)
    c.top = reactionTotal(n)
    c.trending = trendingScore(n, c.height)
  }
}
