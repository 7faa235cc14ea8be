/**
 * HTTP content routes of the node (MISSION.md §7), for its own user — loopback clients only unless
 * the operator opts out:
 *
 *   GET|HEAD /content/<card>        decrypted content with HTTP Range (RFC 9110), so `<video>`
 *                                   elements and media players can seek
 *   GET      /site/<card>/<path>    a file of a `site` card (a tar archive), with its MIME type
 *   PUT      /slices/<card>         upload of a card's sealed slices by `folio publish` (below)
 *
 * Why an HTTP upload and not JSON-RPC: slices are bytes, and hex over JSON doubles them and needs
 * the whole body in memory; why not "import this path": the CLI and the node need not share a file
 * system or a user. The body is the leaf layer (sliceCount × 32 bytes) then every sealed slice in
 * order; the node checks the leaves against the root before accepting a byte of content and each
 * slice against its leaf as it streams in, so a broken upload stores nothing wrong. The content
 * key rides in a header (loopback only) so the creator's node can play its own paid cards.
 */
import type Koa from 'koa'
import { Readable } from 'node:stream'
import { fromHex, toHex } from '../codec/index.js'
import { errorMessage } from '../errors.js'
import { SwarmError } from '../torrent/errors.js'
import { makeLayout, storedSliceLength, suffixRange, byteRangeToSlices, type SliceSpan } from '../torrent/layout.js'
import { HASH_BYTES } from '../torrent/merkle.js'
import type { Swarm } from '../torrent/swarm.js'
import type { ContentKeyStore } from '../torrent/keyStore.js'
import { siteFile } from '../torrent/site.js'
import type { Route } from './server.js'

export interface ContentRouteOptions {
  swarm: Swarm
  keyStore: ContentKeyStore
  /** Serve /content and /site to any client (uploads stay loopback-only). */
  allowRemote?: boolean
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

export function isLoopback (ctx: Koa.Context): boolean {
  return LOOPBACK.has(ctx.req.socket.remoteAddress ?? '')
}

function fail (ctx: Koa.Context, status: number, error: string): true {
  ctx.status = status
  ctx.type = 'application/json'
  ctx.body = JSON.stringify({ error })
  return true
}

function cardParam (text: string): Uint8Array {
  return fromHex(text.startsWith('0x') ? text : `0x${text}`, 32)
}

/** Maps swarm errors onto HTTP statuses a player or a person can act on. */
function swarmStatus (err: unknown): number {
  if (!(err instanceof SwarmError)) return 500
  switch (err.code) {
    case 'UNKNOWN_CARD': return 404
    case 'BAD_KEY': return 403
    case 'RANGE_NOT_SATISFIABLE': return 416
    case 'OVER_BUDGET': return 507
    case 'BAD_LAYOUT': case 'LEAVES_MISMATCH': case 'SLICE_MISMATCH': return 400
    default: return 500
  }
}

/**
 * Parses one `Range` header against `size`. Undefined: no Range, serve everything. Throws
 * SwarmError RANGE_NOT_SATISFIABLE (416) or BAD_LAYOUT (400) for a malformed header.
 */
export function parseRange (header: string | undefined, layout: { size: number, sliceSize: number, sliceCount: number }): SliceSpan & { start: number, end: number } | undefined {
  if (header == null || header === '') return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m == null) {
    if (/^bytes=.*,/.test(header)) throw new SwarmError('BAD_LAYOUT', 'multiple byte ranges in one request are not supported; ask for one range at a time')
    throw new SwarmError('BAD_LAYOUT', `malformed Range header ${JSON.stringify(header.slice(0, 100))}: expected bytes=START-END, bytes=START- or bytes=-SUFFIX`)
  }
  const [, a, b] = m
  if (a === '' && b === '') throw new SwarmError('BAD_LAYOUT', 'a Range needs a start or a suffix length')
  const span = a === '' ? suffixRange(layout, Number(b)) : byteRangeToSlices(layout, Number(a), b === '' ? layout.size - 1 : Number(b))
  const start = a === '' ? Math.max(0, layout.size - Number(b)) : Number(a)
  return { ...span, start, end: start + span.length - 1 }
}

export function contentRoutes (opts: ContentRouteOptions): Route {
  const { swarm } = opts
  return async (ctx) => {
    const parts = ctx.path.split('/')
    const area = parts[1]
    if (area !== 'content' && area !== 'site' && area !== 'slices') return false
    if (!isLoopback(ctx) && (area === 'slices' || opts.allowRemote !== true)) {
      return fail(ctx, 403, `${ctx.path.split('/').slice(0, 2).join('/')} is served to this node's own user only (loopback)`)
    }
    let card: Uint8Array
    try {
      card = cardParam(parts[2] ?? '')
    } catch {
      return fail(ctx, 400, `"${(parts[2] ?? '').slice(0, 80)}" is not a card id (32 bytes of hex)`)
    }
    try {
      if (area === 'slices') {
        if (ctx.method !== 'PUT') { ctx.set('Allow', 'PUT'); return fail(ctx, 405, 'upload slices with PUT') }
        ctx.body = await upload(ctx, card, opts)
        return true
      }
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') { ctx.set('Allow', 'GET, HEAD'); return fail(ctx, 405, 'use GET or HEAD') }
      const info = await swarm.card(card)
      if (area === 'site') {
        if (info.kind !== 'site') return fail(ctx, 400, `card ${toHex(card)} is a ${info.kind} card, not a site`)
        const path = decodeURIComponent(parts.slice(3).join('/'))
        const file = await siteFile(swarm, info, path === '' ? 'index.html' : path)
        if (file == null) return fail(ctx, 404, `the site has no file ${JSON.stringify(path)}`)
        ctx.type = file.mime
        ctx.length = file.size
        // HEAD: headers only. (A null body would turn the status into 204 and drop the length.)
        if (ctx.method === 'HEAD') ctx.status = 200
        else ctx.body = Readable.from(swarm.read(info, file.offset, file.offset + file.size - 1))
        return true
      }
      await swarm.key(info)
      const layout = info.content
      const range = parseRange(ctx.get('range'), layout)
      ctx.set('Accept-Ranges', 'bytes')
      ctx.type = info.mime === '' ? 'application/octet-stream' : info.mime
      const start = range?.start ?? 0
      const end = range?.end ?? layout.size - 1
      if (range != null) {
        ctx.status = 206
        ctx.set('Content-Range', `bytes ${start}-${end}/${layout.size}`)
      }
      ctx.length = end - start + 1
      if (ctx.method === 'HEAD') { ctx.status = range != null ? 206 : 200; return true }
      const abort = new AbortController()
      ctx.req.on('close', () => { abort.abort() })
      const body = Readable.from(swarm.read(info, start, end, abort.signal))
      body.on('error', (err) => { swarm.exchange.log.debug({ card: toHex(card), err: errorMessage(err) }, 'content stream ended') })
      ctx.body = body
      return true
    } catch (err) {
      if (err instanceof SwarmError && err.code === 'RANGE_NOT_SATISFIABLE') {
        const info = await swarm.card(card).catch(() => undefined)
        if (info != null) ctx.set('Content-Range', `bytes */${info.content.size}`)
      }
      if (!(err instanceof SwarmError)) swarm.exchange.log.warn({ path: ctx.path, err: errorMessage(err) }, 'content route failed')
      return fail(ctx, swarmStatus(err), errorMessage(err))
    }
  }
}

/** Reads exactly `n` bytes from the request, or fewer at its end. */
class BodyReader {
  private buf: Buffer = Buffer.alloc(0)
  private readonly it: AsyncIterator<Buffer>
  constructor (req: AsyncIterable<Buffer>) { this.it = req[Symbol.asyncIterator]() }
  async read (n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      const r = await this.it.next()
      if (r.done === true) break
      this.buf = this.buf.length === 0 ? r.value : Buffer.concat([this.buf, r.value]) as Buffer
    }
    const out = this.buf.subarray(0, n)
    this.buf = this.buf.subarray(out.length)
    return out
  }
}

function intHeader (ctx: Koa.Context, name: string): number {
  const v = ctx.get(name)
  if (!/^\d{1,16}$/.test(v)) throw new SwarmError('BAD_LAYOUT', `header ${name} must be a non-negative integer`)
  return Number(v)
}

async function upload (ctx: Koa.Context, card: Uint8Array, opts: ContentRouteOptions): Promise<Record<string, unknown>> {
  const layout = makeLayout(intHeader(ctx, 'x-folio-size'), intHeader(ctx, 'x-folio-slice-size'))
  let root: Uint8Array
  try { root = fromHex(ctx.get('x-folio-content-root'), 32) } catch { throw new SwarmError('BAD_LAYOUT', 'header x-folio-content-root must be 32 bytes of 0x-hex') }
  const encrypted = ctx.get('x-folio-encrypted') !== '0'
  const expected = HASH_BYTES * layout.sliceCount + layout.size + (encrypted ? 16 * layout.sliceCount : 0)
  const declared = ctx.get('content-length')
  if (declared !== '' && Number(declared) !== expected) throw new SwarmError('BAD_LAYOUT', `the body must be ${expected} bytes (leaf layer, then every slice), not ${declared}`)
  const keyHex = ctx.get('x-folio-content-key')
  const store = opts.swarm.store
  const body = new BodyReader(ctx.req as AsyncIterable<Buffer>)
  const packed = await body.read(HASH_BYTES * layout.sliceCount)
  if (packed.length !== HASH_BYTES * layout.sliceCount) throw new SwarmError('BAD_LAYOUT', 'the body ended inside the leaf layer')
  const leaves: Uint8Array[] = []
  for (let i = 0; i < layout.sliceCount; i++) leaves.push(Uint8Array.from(packed.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)))
  await store.addCard(card, { ...layout, contentRoot: root, encrypted }, leaves, { own: true })
  if (keyHex !== '') await opts.keyStore.put(card, fromHex(keyHex, 32))
  let bytes = 0
  for (let i = 0; i < layout.sliceCount; i++) {
    const slice = await body.read(storedSliceLength(layout, i, encrypted))
    if (slice.length !== storedSliceLength(layout, i, encrypted)) throw new SwarmError('BAD_LAYOUT', `the body ended inside slice ${i}`)
    await store.put(card, i, Uint8Array.from(slice))
    bytes += slice.length
  }
  return { card: toHex(card), slices: layout.sliceCount, bytes }
}
