/**
 * `site` cards: a static website packaged as a tar archive (ustar, with pax or GNU long names), so
 * that any `tar -cf site.tar -C dist .` publishes one. The node serves it file by file at
 * `/site/<card>/<path>`: the archive's headers are read once (each a 512-byte decrypted range
 * read, fetching only the slices they sit in) into an index of path → offset and size, and a file
 * is then one range read. Only regular files are served; names are normalised so that `./a.html`
 * and `a.html` match and `..` never escapes.
 */
import { toHex } from '../codec/index.js'
import { SwarmError } from './errors.js'
import type { CardInfo } from './sources.js'
import type { Swarm } from './swarm.js'

export interface SiteFile {
  path: string
  offset: number
  size: number
  mime: string
}

/** Entries one archive may index: bounds the memory of a hostile archive. */
export const MAX_SITE_ENTRIES = 20_000
const BLOCK = 512

const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8', json: 'application/json',
  txt: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8', svg: 'image/svg+xml', png: 'image/png',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', ico: 'image/x-icon',
  woff: 'font/woff', woff2: 'font/woff2', ttf: 'font/ttf', wasm: 'application/wasm', mp4: 'video/mp4',
  webm: 'video/webm', mp3: 'audio/mpeg', ogg: 'audio/ogg', pdf: 'application/pdf', xml: 'application/xml'
}

export function mimeOf (path: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase()
  return (ext != null ? MIME[ext] : undefined) ?? 'application/octet-stream'
}

/** `./a/../b//c.html` → `b/c.html`; undefined when it would climb out of the archive. */
export function normalisePath (path: string): string | undefined {
  const out: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') { if (out.pop() == null) return undefined; continue }
    out.push(part)
  }
  return out.join('/')
}

async function readBytes (swarm: Swarm, info: CardInfo, start: number, length: number, signal?: AbortSignal): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const p of swarm.read(info, start, start + length - 1, signal)) parts.push(p)
  return Buffer.concat(parts)
}

function text (b: Buffer, from: number, len: number): string {
  const s = b.subarray(from, from + len)
  const nul = s.indexOf(0)
  return s.subarray(0, nul < 0 ? s.length : nul).toString('utf8')
}

function octal (b: Buffer, from: number, len: number): number {
  const s = text(b, from, len).trim()
  if (!/^[0-7]*$/.test(s)) throw new SwarmError('BAD_LAYOUT', 'the site archive has a corrupt tar header')
  return s === '' ? 0 : parseInt(s, 8)
}

/** Reads the archive's headers into an index of regular files. */
export async function indexSite (swarm: Swarm, info: CardInfo, signal?: AbortSignal): Promise<Map<string, SiteFile>> {
  const files = new Map<string, SiteFile>()
  const size = info.content.size
  let offset = 0
  let longName: string | undefined
  while (offset + BLOCK <= size) {
    const h = await readBytes(swarm, info, offset, BLOCK, signal)
    if (h.every(x => x === 0)) break
    const entrySize = octal(h, 124, 12)
    const type = String.fromCharCode(h[156]!)
    const dataAt = offset + BLOCK
    if (dataAt + entrySize > size) throw new SwarmError('BAD_LAYOUT', 'the site archive is truncated')
    if (type === 'x' || type === 'L') {
      if (entrySize > 64 * 1024) throw new SwarmError('BAD_LAYOUT', 'the site archive has an oversized long-name header')
      const data = (await readBytes(swarm, info, dataAt, entrySize, signal)).toString('utf8')
      longName = type === 'L' ? data.replace(/\0+$/, '') : /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data)?.[1] ?? longName
    } else {
      const prefix = h.subarray(257, 262).toString() === 'ustar' ? text(h, 345, 155) : ''
      const name = longName ?? (prefix !== '' ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100))
      longName = undefined
      const path = normalisePath(name)
      if ((type === '0' || type === '\0') && path != null && path !== '') {
        if (files.size >= MAX_SITE_ENTRIES) throw new SwarmError('BAD_LAYOUT', `a site archive may hold at most ${MAX_SITE_ENTRIES} files`)
        files.set(path, { path, offset: dataAt, size: entrySize, mime: mimeOf(path) })
      }
    }
    offset = dataAt + Math.ceil(entrySize / BLOCK) * BLOCK
  }
  return files
}

const indexes = new Map<string, Promise<Map<string, SiteFile>>>()

/** The file at `path` of a site card (a directory path serves its index.html), if any. */
export async function siteFile (swarm: Swarm, info: CardInfo, path: string, signal?: AbortSignal): Promise<SiteFile | undefined> {
  const id = toHex(info.id)
  let index = indexes.get(id)
  if (index == null) {
    index = indexSite(swarm, info, signal)
    indexes.set(id, index)
    index.catch(() => { indexes.delete(id) })
    // A few recent sites stay indexed; the rest are read again when visited.
    if (indexes.size > 32) indexes.delete(indexes.keys().next().value!)
  }
  const files = await index
  const p = normalisePath(path)
  if (p == null) return undefined
  const file = files.get(p) ?? files.get(p === '' ? 'index.html' : `${p}/index.html`)
  return file
}
