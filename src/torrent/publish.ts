/**
 * The publishing pipeline: cut a byte stream into slices, encrypt each under the card's content
 * key (or leave it clear, for free preview clips), hash it for the Merkle tree, and hand each
 * slice on as soon as it is ready — at most one slice of plaintext is buffered, so a 50 GiB file
 * publishes in constant memory. `commitContent` also returns the layout fields the card carries.
 */
import { createReadStream } from 'node:fs'
import { encryptSlice } from './contentKey.js'
import { SwarmError } from './errors.js'
import { AEAD_TAG_BYTES, DEFAULT_SLICE_SIZE, MAX_SLICE_COUNT, assertSliceSize, makeLayout, type SliceLayout } from './layout.js'
import { contentRoot, leafHash } from './merkle.js'

export interface PublishedSlice {
  readonly index: number
  /** The slice as stored and exchanged: sealed (ciphertext || tag), or clear when unencrypted. */
  readonly ciphertext: Uint8Array
  readonly leafHash: Uint8Array
}

/** The content fields of a hash card. */
export interface CardLayout extends SliceLayout {
  readonly contentRoot: Uint8Array
  readonly leafHashes: Uint8Array[]
}

/** Re-cuts arbitrary chunks into slices of exactly `sliceSize` bytes (the last may be shorter). */
export async function * rechunk (source: AsyncIterable<Uint8Array>, sliceSize: number): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(sliceSize)
  let filled = 0
  for await (const chunk of source) {
    let offset = 0
    while (offset < chunk.length) {
      const n = Math.min(sliceSize - filled, chunk.length - offset)
      buf.set(chunk.subarray(offset, offset + n), filled)
      filled += n
      offset += n
      if (filled === sliceSize) {
        yield buf
        // A fresh buffer: the consumer may still hold the one just yielded.
        buf = new Uint8Array(sliceSize)
        filled = 0
      }
    }
  }
  if (filled > 0) yield buf.subarray(0, filled)
}

/** Yields each slice of `source` sealed under `key` (null: left clear) with its leaf hash. */
export async function * sliceAndEncrypt (
  source: AsyncIterable<Uint8Array>,
  key: Uint8Array | null,
  sliceSize: number = DEFAULT_SLICE_SIZE
): AsyncGenerator<PublishedSlice> {
  assertSliceSize(sliceSize)
  let index = 0
  for await (const plain of rechunk(source, sliceSize)) {
    // Refuse early rather than after reading a terabyte the card could never describe.
    if (index >= MAX_SLICE_COUNT) throw new SwarmError('BAD_LAYOUT', `content needs more than ${MAX_SLICE_COUNT} slices of ${sliceSize} bytes`)
    const ciphertext = key == null ? plain : encryptSlice(key, index, plain)
    yield { index, ciphertext, leafHash: leafHash(ciphertext) }
    index++
  }
}

/** Reads a file in slice-sized chunks, so the read buffer is the slice buffer's size. */
export function fileSource (path: string, sliceSize: number = DEFAULT_SLICE_SIZE): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: sliceSize })
}

/**
 * Runs the whole pipeline: every slice is passed to `onSlice` (the slice store's `put`, say) in
 * order, awaited so that a slow disk slows the reader instead of filling memory, and the card's
 * layout fields come back at the end.
 */
export async function commitContent (
  source: AsyncIterable<Uint8Array>,
  key: Uint8Array | null,
  sliceSize: number = DEFAULT_SLICE_SIZE,
  onSlice?: (slice: PublishedSlice) => Promise<void> | void
): Promise<CardLayout> {
  const leafHashes: Uint8Array[] = []
  let size = 0
  for await (const slice of sliceAndEncrypt(source, key, sliceSize)) {
    leafHashes.push(slice.leafHash)
    size += slice.ciphertext.length - (key == null ? 0 : AEAD_TAG_BYTES)
    if (onSlice != null) await onSlice(slice)
  }
  if (size === 0) throw new SwarmError('BAD_LAYOUT', 'there is no content to publish: the source was empty')
  const layout = makeLayout(size, sliceSize)
  return { ...layout, contentRoot: contentRoot(leafHashes), leafHashes }
}

export async function commitFile (
  path: string,
  key: Uint8Array | null,
  sliceSize: number = DEFAULT_SLICE_SIZE,
  onSlice?: (slice: PublishedSlice) => Promise<void> | void
): Promise<CardLayout> {
  return await commitContent(fileSource(path, sliceSize), key, sliceSize, onSlice)
}
