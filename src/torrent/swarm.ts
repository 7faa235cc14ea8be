/**
 * The swarm facade a node (and the HTTP playback routes) talk to: one `Download` per card at a
 * time, card lookups through a `CardSource`, seeders through a `SeederSource`, keys through a
 * `KeyProvider`, and decrypted reads of any byte range. All libp2p I/O is in `exchange.ts`; the
 * picking state is in `picker.ts`; this file only wires them per card.
 *
 * A read streams: it moves the download's playback position to each slice it needs (the picker's
 * deadline window follows), waits for that slice, decrypts it and yields the requested bytes — so
 * the first byte is out as soon as the first slice has arrived, and a player that seeks simply
 * starts a new read further on.
 */
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import { toHex } from '../codec/index.js'
import { countBits } from './bitfield.js'
import { decryptSlice } from './contentKey.js'
import { SwarmError } from './errors.js'
import { byteRangeToSlices, sliceOffset } from './layout.js'
import type { SliceExchange } from './exchange.js'
import { Download, type DownloadOptions, type DownloadProgress } from './fetcher.js'
import type { PickerMode } from './picker.js'
import type { CardInfo, CardSource, KeyProvider, SeederSource } from './sources.js'

export interface SwarmOptions {
  exchange: SliceExchange
  cards: CardSource
  seeders: SeederSource
  keys: KeyProvider
  /** Picker and peer settings for new downloads. */
  download?: Partial<Omit<DownloadOptions, 'mode' | 'seeders'>>
}

export interface FetchResult {
  card: string
  bytes: number
  sha256: string
}

export class Swarm {
  private readonly downloads = new Map<string, Download>()

  constructor (readonly opts: SwarmOptions) {}

  get store (): SliceExchange['store'] {
    return this.opts.exchange.store
  }

  get exchange (): SliceExchange {
    return this.opts.exchange
  }

  /** The card's content description, or UNKNOWN_CARD with a message a person can act on. */
  async card (card: Uint8Array): Promise<CardInfo> {
    const info = await this.opts.cards.get(card)
    if (info == null) throw new SwarmError('UNKNOWN_CARD', `card ${toHex(card)} does not exist or has no content`)
    return info
  }

  isComplete (card: Uint8Array, sliceCount: number): boolean {
    const bits = this.store.bitfield(card)
    return bits != null && countBits(bits) === sliceCount
  }

  /** The running download of `card`, started in `mode` if there is none. */
  async download (info: CardInfo, mode: PickerMode, pinned = false): Promise<Download> {
    const id = toHex(info.id)
    const known = this.downloads.get(id)
    if (known != null) {
      if (pinned) await this.store.setPinned(info.id, true).catch(() => {})
      return known
    }
    const dl = new Download(this.exchange, info.id, info.content, { ...this.opts.download, mode, seeders: this.opts.seeders, pinned })
    this.downloads.set(id, dl)
    // A finished or failed download frees its slot, so a later read or fetch starts afresh.
    dl.done.then(() => { if (mode === 'bulk') this.forget(id, dl) }, () => { this.forget(id, dl) })
    await dl.start()
    return dl
  }

  private forget (id: string, dl: Download): void {
    if (this.downloads.get(id) === dl) this.downloads.delete(id)
  }

  progress (): DownloadProgress[] {
    return [...this.downloads.values()].map(d => d.progress())
  }

  /** Fetches every slice (pinned: the user asked for it) and resolves when all are stored. */
  async fetch (card: Uint8Array, onProgress?: (p: DownloadProgress) => void): Promise<Download | undefined> {
    const info = await this.card(card)
    if (this.isComplete(card, info.content.sliceCount)) {
      await this.store.setPinned(card, true).catch(() => {})
      return undefined
    }
    const dl = await this.download(info, 'bulk', true)
    const timer = onProgress == null ? undefined : setInterval(() => { onProgress(dl.progress()) }, 250)
    try {
      await dl.done
    } finally {
      clearInterval(timer)
    }
    return dl
  }

  /** The content key, or a clear refusal (paid cards need the key-escrow step). */
  async key (info: CardInfo): Promise<Uint8Array | null> {
    if (!info.content.encrypted) return null
    const key = await this.opts.keys.key(info)
    if (key == null) {
      throw new SwarmError('BAD_KEY', `this node holds no content key for card ${toHex(info.id)}: it is a paid card and its key comes with a key NFT (key escrow)`)
    }
    return key
  }

  /**
   * Decrypted bytes `start..end` (inclusive, clamped to the content) in order, fetching slices
   * as needed. Throws RANGE_NOT_SATISFIABLE for a start past the end, BAD_KEY without a key.
   */
  async * read (info: CardInfo, start: number, end: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const span = byteRangeToSlices(info.content, start, end)
    const key = await this.key(info)
    let dl: Download | undefined
    let remaining = span.length
    for (let i = span.first; i <= span.last && remaining > 0; i++) {
      signal?.throwIfAborted()
      let sealed = this.store.has(info.id, i) ? await this.store.get(info.id, i) : undefined
      while (sealed == null) {
        dl ??= await this.download(info, 'stream')
        dl.setPosition(i)
        // Fresh from a peer (verified against the card's leaf) or, if already stored, from disk.
        sealed = await dl.waitSlice(i, signal) ?? await this.store.get(info.id, i)
      }
      const plain = key == null ? sealed : decryptSlice(key, i, sealed)
      const from = i === span.first ? start - sliceOffset(info.content, i) : 0
      const part = plain.subarray(from, Math.min(plain.length, from + remaining))
      remaining -= part.length
      yield part
    }
  }

  /** Fetches the whole card and writes the decrypted content to `path`; returns size and SHA-256. */
  async fetchToFile (card: Uint8Array, path: string, onProgress?: (p: DownloadProgress) => void): Promise<FetchResult> {
    const info = await this.card(card)
    await this.key(info)
    await this.fetch(card, onProgress)
    const out = createWriteStream(path)
    const hash = createHash('sha256')
    let bytes = 0
    try {
      for await (const part of this.read(info, 0, info.content.size - 1)) {
        hash.update(part)
        bytes += part.length
        if (!out.write(part)) await once(out, 'drain')
      }
    } finally {
      out.end()
      await once(out, 'close')
    }
    return { card: toHex(card), bytes, sha256: hash.digest('hex') }
  }

  stop (): void {
    for (const d of this.downloads.values()) d.stop()
    this.downloads.clear()
  }
}
