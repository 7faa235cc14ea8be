/**
 * The social commands: `folio post`, `publish-card`, `feed`, `card`, `react`, `repost`, `follow`,
 * `unfollow`, `mute`, `profile set`, and `reindex` (rebuild the feed index of a stopped node).
 * With --json each prints one object (MISSION.md §10): post/publish-card → {card, hash, height},
 * feed → {items, cursor}; without it, a feed a person can read in a terminal.
 */
import type { Argv } from 'yargs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { decodeAddress } from '../../crypto/index.js'
import { fromHex, toHex } from '../../codec/index.js'
import { CARD_KINDS, REACTIONS, publishBody as postBody, type CardKind } from '../../blocks/index.js'
import { submit } from '../../client/tx.js'
import { LevelStore, Chain, FeedIndex, parseGenesis } from '../../state/index.js'
import { homePaths } from '../../node/config.js'
import { client, output, wallet, parseAmount, formatFol, CliError, type GlobalArgs } from '../context.js'

function address (text: string): Uint8Array {
  try {
    return decodeAddress(text)
  } catch (err) {
    throw new CliError('USAGE', `"${text}" is not a folio address: ${(err as Error).message}`)
  }
}

function cardId (text: string): Uint8Array {
  try {
    return fromHex(text, 32)
  } catch {
    throw new CliError('USAGE', `"${text}" is not a card id (0x and 64 hex digits)`)
  }
}

function ago (ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.floor(s / 60)}m ago`
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`
  return `${Math.floor(s / 86400)}d ago`
}

function short (addr: string): string {
  return addr.length > 16 ? `${addr.slice(0, 9)}…${addr.slice(-5)}` : addr
}

/** One card as a few terminal lines. */
export function renderCard (c: any): string {
  const title = c.title !== '' ? c.title : String(c.body).split('\n')[0].slice(0, 72)
  const n = c.counters
  const price = c.free === true ? 'free' : formatFol(c.price)
  return [
    `${title}`,
    `  ${c.kind} · ${price} · by ${c.creatorName ?? short(c.creator)}${c.creatorName != null ? ` (${short(c.creator)})` : ''} · ${ago(c.time)}${c.parent != null ? ` · reply to ${String(c.parent).slice(0, 10)}…` : ''}`,
    `  ${n.reactionsTotal} reactions · ${n.replies} replies · ${n.reposts} reposts · ${n.views} views · ${n.keysSold} keys sold · ${n.seeders} seeders`,
    ...(c.tags.length > 0 ? [`  #${c.tags.join(' #')}`] : []),
    `  ${c.id}`
  ].join('\n')
}

type Sent = { hash: string, height?: number }
const sentJson = (s: Sent): { hash: string, height: number | null } => ({ hash: s.hash, height: s.height ?? null })
const sentText = (what: string, s: Sent): string => s.height != null ? `${what}\n  tx ${s.hash} committed at height ${s.height}` : `${what}\n  submitted tx ${s.hash}`

async function send (argv: GlobalArgs & { wait?: boolean }, type: string, body: Record<string, unknown>): Promise<Sent & { id: Uint8Array }> {
  return await submit(client(argv), await wallet(argv), type, body, { wait: argv.wait })
}

const list = (v: unknown): string[] | undefined => v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map(String)

export function feedCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  const waitOpt = { type: 'boolean', default: true, describe: 'wait until the transaction is committed (--no-wait to return at once)' } as const
  return y
    .command('post <text>', 'publish a text post (a card with no content)', (a) => a
      .positional('text', { type: 'string', demandOption: true })
      .option('tag', { type: 'string', array: true, describe: 'a tag (repeatable)' })
      .option('reply-to', { type: 'string', describe: 'card id this post replies to' })
      .option('wait', waitOpt),
    async (argv) => {
      const body = postBody({ kind: 'text', body: argv.text, tags: list(argv.tag) ?? [], parent: argv['reply-to'] != null ? cardId(argv['reply-to']) : null })
      const sent = await send(argv, 'card.publish', body)
      output(argv, { card: toHex(sent.id), ...sentJson(sent) }, sentText(`posted card ${toHex(sent.id)}`, sent))
    })
    .command('publish-card', 'publish a card\'s metadata (content upload comes with `folio publish FILE`)', (a) => a
      .option('title', { type: 'string', demandOption: true })
      .option('kind', { choices: CARD_KINDS, default: 'other' as CardKind })
      .option('body', { type: 'string', default: '', describe: 'description (≤ 2,000 characters)' })
      .option('tag', { type: 'string', array: true })
      .option('mime', { type: 'string', default: '' })
      .option('price', { type: 'string', default: '0', describe: 'key price: ufol, or FOL with a suffix (2fol)' })
      .option('supply', { type: 'number', default: 0, describe: 'keys that may be minted (0 = unlimited)' })
      .option('royalty-bps', { type: 'number', default: 0 })
      .option('seed-share-bps', { type: 'number', default: 0 })
      .option('preview', { type: 'string', describe: 'file with an inline preview (≤ 64 KiB)' })
      .option('reply-to', { type: 'string' })
      .option('wait', waitOpt),
    async (argv) => {
      const preview = argv.preview != null ? new Uint8Array(await readFile(resolve(argv.preview))) : new Uint8Array(0)
      const body = postBody({
        kind: argv.kind, title: argv.title, body: argv.body, tags: list(argv.tag) ?? [], mime: argv.mime, preview,
        price: parseAmount(argv.price), supply: argv.supply, royaltyBps: argv['royalty-bps'], seedShareBps: argv['seed-share-bps'],
        parent: argv['reply-to'] != null ? cardId(argv['reply-to']) : null
      })
      const sent = await send(argv, 'card.publish', body)
      output(argv, { card: toHex(sent.id), ...sentJson(sent) }, sentText(`published card ${toHex(sent.id)}`, sent))
    })
    .command('feed', 'show the feed, filtered and sorted', (a) => a
      .option('kind', { type: 'string', array: true, choices: CARD_KINDS })
      .option('creator', { type: 'string', array: true, describe: 'creator address (repeatable)' })
      .option('following', { type: 'string', describe: 'only creators this address follows' })
      .option('free', { type: 'boolean', describe: 'only free cards (--no-free: only paid)' })
      .option('max-price', { type: 'string' })
      .option('tag', { type: 'string', array: true })
      .option('text', { type: 'string', describe: 'words in title, body or tags' })
      .option('replies-to', { type: 'string', describe: 'replies to this card' })
      .option('since', { type: 'number' })
      .option('until', { type: 'number' })
      .option('exclude-muted-by', { type: 'string' })
      .option('hide-flagged-for', { type: 'string' })
      .option('sort', { choices: ['new', 'top', 'trending', 'seeded'] as const, default: 'new' as const })
      .option('limit', { type: 'number', default: 20 })
      .option('cursor', { type: 'string', describe: 'the cursor printed by the previous page' }),
    async (argv) => {
      const filter: Record<string, unknown> = {}
      if (argv.kind != null) filter.kind = list(argv.kind)
      if (argv.creator != null) filter.creator = list(argv.creator)
      if (argv.following != null) filter.followedBy = argv.following
      if (argv.free != null) filter.free = argv.free
      if (argv['max-price'] != null) filter.maxPrice = parseAmount(argv['max-price']).toString()
      if (argv.tag != null) filter.tags = list(argv.tag)
      if (argv.text != null) filter.text = argv.text
      if (argv['replies-to'] != null) filter.parent = toHex(cardId(argv['replies-to']))
      if (argv.since != null) filter.since = argv.since
      if (argv.until != null) filter.until = argv.until
      if (argv['exclude-muted-by'] != null) filter.excludeMutedBy = argv['exclude-muted-by']
      if (argv['hide-flagged-for'] != null) filter.hideFlaggedFor = argv['hide-flagged-for']
      const page = await client(argv).call('feed_query', { filter, sort: argv.sort, limit: argv.limit, ...(argv.cursor != null ? { cursor: argv.cursor } : {}) })
      output(argv, { items: page.items, cursor: page.cursor }, () => {
        if (page.items.length === 0) return page.cursor != null ? `no matching cards in this stretch; continue with --cursor ${page.cursor}` : 'no matching cards'
        return [...page.items.map(renderCard), ...(page.cursor != null ? [`more: folio feed … --cursor ${page.cursor}`] : [])].join('\n\n')
      })
    })
    .command('card <id>', 'show a card with its counters', (a) => a.positional('id', { type: 'string', demandOption: true }), async (argv) => {
      const card = await client(argv).call('card_get', { card: toHex(cardId(argv.id)), withPreview: argv.json === true })
      output(argv, card, () => `${renderCard(card)}\n\n${card.body as string}`)
    })
    .command('react <id> <reaction>', `react to a card (${REACTIONS.join(', ')}, or none to remove)`, (a) => a
      .positional('id', { type: 'string', demandOption: true })
      .positional('reaction', { choices: [...REACTIONS, 'none'] as const, demandOption: true })
      .option('wait', waitOpt),
    async (argv) => {
      const sent = await send(argv, 'card.react', { card: cardId(argv.id), reaction: argv.reaction === 'none' ? null : argv.reaction })
      output(argv, sentJson(sent), sentText(argv.reaction === 'none' ? 'reaction removed' : `reacted ${argv.reaction}`, sent))
    })
    .command('repost <id>', 'repost a card', (a) => a.positional('id', { type: 'string', demandOption: true }).option('wait', waitOpt), async (argv) => {
      const sent = await send(argv, 'card.repost', { card: cardId(argv.id) })
      output(argv, sentJson(sent), sentText('reposted', sent))
    })
    .command(['follow <address>', 'unfollow <address>', 'mute <address>'], 'follow, unfollow or mute an account', (a) => a
      .positional('address', { type: 'string', demandOption: true })
      .option('wait', waitOpt),
    async (argv) => {
      const verb = String(argv._[0])
      const sent = await send(argv, `social.${verb}`, { account: address(argv.address) })
      output(argv, sentJson(sent), sentText(`${verb}ed ${argv.address}`.replace('unfolloweded', 'unfollowed'), sent))
    })
    .command('profile <action>', 'set your profile: folio profile set --name N [--bio B] [--avatar FILE]', (a) => a
      .positional('action', { choices: ['set'] as const, demandOption: true })
      .option('name', { type: 'string', default: '' })
      .option('bio', { type: 'string', default: '' })
      .option('avatar', { type: 'string', describe: 'image file (≤ 16 KiB)' })
      .option('wait', waitOpt),
    async (argv) => {
      const avatar = argv.avatar != null ? new Uint8Array(await readFile(resolve(argv.avatar))) : new Uint8Array(0)
      const sent = await send(argv, 'profile.set', { name: argv.name, bio: argv.bio, avatar })
      output(argv, sentJson(sent), sentText('profile set', sent))
    })
    .command('reindex', 'rebuild the feed index of a stopped node from its stored blocks', (a) => a
      .option('home', { type: 'string', default: '.folio', describe: 'node home folder' }),
    async (argv) => {
      const paths = homePaths(resolve(argv.home))
      const genesis = parseGenesis(JSON.parse(await readFile(paths.genesis, 'utf8')))
      let store: LevelStore
      try {
        store = await LevelStore.open(paths.data)
      } catch (err) {
        throw new CliError('FAILED', `cannot open ${paths.data}: ${(err as Error).message} (stop the node first)`)
      }
      try {
        const chain = await Chain.open(store, genesis)
        const index = new FeedIndex(chain.kv, chain.state)
        const started = Date.now()
        const head = chain.head().height
        const { cards } = await index.rebuild(chain.blocks, head)
        output(argv, { cards, height: head, ms: Date.now() - started }, `rebuilt the feed index: ${cards} cards up to height ${head} in ${Date.now() - started} ms`)
      } finally {
        await store.close()
      }
    })
}
