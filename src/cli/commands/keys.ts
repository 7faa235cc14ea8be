/**
 * Key NFT commands (MISSION.md §10): `folio buy CARD` → {token, hash, height}, `grant CARD --to`,
 * `transfer-key TOKEN --to` → {hash, height}, `list-key TOKEN --price`, `unlist-key`,
 * `buy-listed TOKEN`, `unlock CARD` (rebuild the content key through escrow and hand it to the
 * node, so `folio fetch` / playback decrypt) and `reescrow CARD --key` (the creator re-splits a key
 * among the current validators).
 *
 * Library functions for other commands: `unlockCard` (what `folio fetch` calls for a paid card)
 * and `escrowForPublish` (what `folio publish` calls to escrow a new card's key).
 */
import type { Argv } from 'yargs'
import { decodeAddress, encodeAddress, type Account } from '../../crypto/index.js'
import { fromHex, toHex } from '../../codec/index.js'
import type { EscrowSpecValue } from '../../blocks/index.js'
import { submit } from '../../client/tx.js'
import type { RpcClient } from '../../client/rpcClient.js'
import type { CardEscrow } from '../../state/nft/records.js'
import { buildEscrow, obtainContentKey, relayShareSource, type ObtainReport } from '../../torrent/escrow/index.js'
import { client, output, wallet, parseAmount, CliError, type GlobalArgs } from '../context.js'

function address (text: string): Uint8Array {
  try { return decodeAddress(text) } catch (err) { throw new CliError('USAGE', `"${text}" is not a folio address: ${(err as Error).message}`) }
}
function hexArg (text: string, len: number, what: string): Uint8Array {
  try { return fromHex(text.startsWith('0x') ? text : `0x${text}`, len) } catch { throw new CliError('USAGE', `"${text}" is not a ${what} (0x and ${len * 2} hex digits)`) }
}
const cardArg = (t: string): Uint8Array => hexArg(t, 32, 'card id')
const tokenArg = (t: string): Uint8Array => hexArg(t, 40, 'key token id')

/** The escrow of a card as its node reports it (escrow_get). */
export async function fetchCardEscrow (rpc: RpcClient, card: Uint8Array): Promise<CardEscrow & { headHeight: number }> {
  const e = await rpc.call('escrow_get', { card: toHex(card) })
  return {
    card,
    creator: decodeAddress(e.creator),
    price: BigInt(e.price),
    height: e.height,
    keyCommitment: e.keyCommitment === null ? null : fromHex(e.keyCommitment, 32),
    contentKey: e.contentKey === null ? null : fromHex(e.contentKey, 32),
    escrow: e.threshold === null ? null : { threshold: e.threshold, shares: e.committee.map((m: any) => ({ validator: decodeAddress(m.validator), sealed: fromHex(m.sealed) })) },
    headHeight: e.headHeight
  }
}

/** A token of `card` that `holder` holds (the newest), or undefined. */
export async function heldToken (rpc: RpcClient, holder: Uint8Array, card: Uint8Array, minted?: number): Promise<Uint8Array | undefined> {
  const r = await rpc.call('key_tokensOf', { address: encodeAddress(holder), limit: 500 })
  const mine = (r.tokens as Array<{ token: string, card: string, serial: number, minted: number }>)
    .filter(t => t.card === toHex(card) && (minted === undefined || t.minted === minted))
    .sort((a, b) => b.serial - a.serial)
  return mine[0] === undefined ? undefined : fromHex(mine[0].token, 40)
}

/**
 * The content key of `card` for `holder`: free cards from the card, paid ones through escrow via
 * the node's relay (one RPC URL is enough). With `store`, the key goes into the node's key store.
 */
export async function unlockCard (rpc: RpcClient, holder: Account, card: Uint8Array, opts: { token?: Uint8Array, store?: boolean } = {}): Promise<ObtainReport & { token: Uint8Array | null }> {
  const esc = await fetchCardEscrow(rpc, card)
  if (esc.contentKey !== null) return { ...await obtainContentKey(esc, new Uint8Array(40), holder, { chainId: '', height: 0, sources: [] }), token: null }
  const token = opts.token ?? await heldToken(rpc, holder.address, card)
  if (token === undefined) throw new CliError('FAILED', `your account holds no key of card ${toHex(card)}: buy one with "folio buy ${toHex(card)}"`)
  const { chainId } = await rpc.call('chain_info')
  const source = relayShareSource(`node ${rpc.url}`, async (m, p) => await rpc.call(m, p))
  const report = await obtainContentKey(esc, token, holder, { chainId, height: esc.headHeight, sources: [source] })
  if (opts.store === true) await rpc.call('key_putContentKey', { card: toHex(card), key: toHex(report.key) })
  return { ...report, token }
}

/** Escrow of a new card's key among the validators of the next height, for `card.publish`. */
export async function escrowForPublish (rpc: RpcClient, contentKey: Uint8Array): Promise<{ escrow: EscrowSpecValue, keyCommitment: Uint8Array }> {
  const r = await rpc.call('chain_getValidators')
  const committee = (r.validators as Array<{ address: string, escrowKey: string | null }>)
    .filter(v => v.escrowKey !== null)
    .map(v => ({ address: fromHex(v.address, 20), escrowKey: fromHex(v.escrowKey!, 32) }))
  return await buildEscrow(contentKey, committee)
}

type Sent = { hash: string, height?: number }
const sentJson = (s: Sent): { hash: string, height: number | null } => ({ hash: s.hash, height: s.height ?? null })
const sentText = (what: string, s: Sent): string => s.height != null ? `${what}\n  tx ${s.hash} committed at height ${s.height}` : `${what}\n  submitted tx ${s.hash}`

export function keyCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  const waitOpt = { type: 'boolean', default: true, describe: 'wait until the transaction is committed (--no-wait to return at once)' } as const
  const send = async (argv: GlobalArgs & { wait?: boolean }, type: string, body: Record<string, unknown>): Promise<Sent> =>
    await submit(client(argv), await wallet(argv), type, body, { wait: argv.wait })
  /** The token a mint just created: the holder's newest token of the card minted at that height. */
  const minted = async (argv: GlobalArgs, holder: Uint8Array, card: Uint8Array, sent: Sent): Promise<string | null> => {
    if (sent.height == null) return null
    const t = await heldToken(client(argv), holder, card, sent.height)
    return t === undefined ? null : toHex(t)
  }
  return y
    .command('buy <card>', 'buy the next key of a card (mints a key NFT and pays the creator)', (a) => a
      .positional('card', { type: 'string', demandOption: true })
      .option('max-price', { type: 'string', describe: 'most you will pay (ufol, or e.g. 1.5fol); default: the card\'s price now' })
      .option('wait', waitOpt), async (argv) => {
      const card = cardArg(argv.card)
      const maxPrice = argv['max-price'] != null ? parseAmount(argv['max-price']) : BigInt((await fetchCardEscrow(client(argv), card)).price)
      const sent = await send(argv, 'key.buy', { card, maxPrice })
      const token = await minted(argv, (await wallet(argv)).address, card, sent)
      output(argv, { token, ...sentJson(sent) }, sentText(`bought key ${token ?? '(pending)'} of card ${toHex(card)}`, sent))
    })
    .command('grant <card>', 'give a key of your card for free', (a) => a
      .positional('card', { type: 'string', demandOption: true })
      .option('to', { type: 'string', demandOption: true, describe: 'the receiving address' })
      .option('wait', waitOpt), async (argv) => {
      const card = cardArg(argv.card)
      const to = address(argv.to)
      const sent = await send(argv, 'key.grant', { card, to })
      const token = await minted(argv, to, card, sent)
      output(argv, { token, ...sentJson(sent) }, sentText(`granted key ${token ?? '(pending)'} to ${argv.to}`, sent))
    })
    .command('transfer-key <token>', 'give a key token to another account', (a) => a
      .positional('token', { type: 'string', demandOption: true })
      .option('to', { type: 'string', demandOption: true })
      .option('wait', waitOpt), async (argv) => {
      const sent = await send(argv, 'key.transfer', { token: tokenArg(argv.token), to: address(argv.to) })
      output(argv, sentJson(sent), sentText(`transferred key ${argv.token} to ${argv.to}`, sent))
    })
    .command('list-key <token>', 'offer a key token for sale', (a) => a
      .positional('token', { type: 'string', demandOption: true })
      .option('price', { type: 'string', demandOption: true, describe: 'asking price (ufol, or e.g. 2fol)' })
      .option('wait', waitOpt), async (argv) => {
      const sent = await send(argv, 'key.list', { token: tokenArg(argv.token), price: parseAmount(argv.price) })
      output(argv, sentJson(sent), sentText(`listed key ${argv.token}`, sent))
    })
    .command('unlist-key <token>', 'withdraw a key token from sale', (a) => a
      .positional('token', { type: 'string', demandOption: true })
      .option('wait', waitOpt), async (argv) => {
      const sent = await send(argv, 'key.unlist', { token: tokenArg(argv.token) })
      output(argv, sentJson(sent), sentText(`unlisted key ${argv.token}`, sent))
    })
    .command('buy-listed <token>', 'buy a listed key token (the seller is paid, less the creator\'s royalty)', (a) => a
      .positional('token', { type: 'string', demandOption: true })
      .option('max-price', { type: 'string', describe: 'most you will pay; default: the listed price now' })
      .option('wait', waitOpt), async (argv) => {
      const token = tokenArg(argv.token)
      let maxPrice: bigint
      if (argv['max-price'] != null) maxPrice = parseAmount(argv['max-price'])
      else {
        const o = await client(argv).call('key_ownerOf', { token: toHex(token) })
        if (o.listing === null) throw new CliError('FAILED', `key ${toHex(token)} is not for sale`)
        maxPrice = BigInt(o.listing.price)
      }
      const sent = await send(argv, 'key.buy-listed', { token, maxPrice })
      output(argv, { token: toHex(token), ...sentJson(sent) }, sentText(`bought listed key ${toHex(token)}`, sent))
    })
    .command('unlock <card>', 'rebuild a card\'s content key from the escrow validators and give it to your node', (a) => a
      .positional('card', { type: 'string', demandOption: true })
      .option('store', { type: 'boolean', default: true, describe: 'store the key in the node (loopback) so fetch and playback decrypt' }), async (argv) => {
      const card = cardArg(argv.card)
      const r = await unlockCard(client(argv), await wallet(argv), card, { store: argv.store })
      output(argv, { card: toHex(card), token: r.token === null ? null : toHex(r.token), validators: r.used, badShares: r.badShares, stored: argv.store },
        `unlocked card ${toHex(card)} with shares of ${r.used.length} validator(s)${r.badShares.length > 0 ? ` (${r.badShares.length} wrong share(s) ignored)` : ''}`)
    })
    .command('reescrow <card>', 'creator: split the card\'s key again among the current validators', (a) => a
      .positional('card', { type: 'string', demandOption: true })
      .option('key', { type: 'string', demandOption: true, describe: 'the content key (0x-hex, 32 bytes)' })
      .option('wait', waitOpt), async (argv) => {
      const card = cardArg(argv.card)
      const { escrow } = await escrowForPublish(client(argv), hexArg(argv.key, 32, 'content key'))
      const sent = await send(argv, 'card.reescrow', { card, escrow })
      output(argv, sentJson(sent), sentText(`re-escrowed card ${toHex(card)} among ${escrow.shares.length} validators (threshold ${escrow.threshold})`, sent))
    })
}
