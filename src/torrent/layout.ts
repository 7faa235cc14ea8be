/**
 * Slice layout math: how a card's content of `size` bytes is cut into `sliceCount` slices of
 * `sliceSize` bytes (the last one shorter), and which slices an HTTP byte range touches. Every
 * number here comes from a card or a peer, so each is validated before any arithmetic trusts it.
 */
import { SwarmError } from './errors.js'

export const DEFAULT_SLICE_SIZE = 262_144
/** Below 16 KiB the per-slice overhead (request, leaf hash, AEAD tag) dominates. */
export const MIN_SLICE_SIZE = 16_384
/** Above 4 MiB a single late slice stalls playback for too long. */
export const MAX_SLICE_SIZE = 4_194_304
/**
 * 2^20 slices keeps the leaf layer at 32 MiB and a peer's bitfield at 128 KiB; that is 256 GiB
 * at the default slice size and 4 TiB at the largest.
 */
export const MAX_SLICE_COUNT = 1_048_576
/** The Poly1305 tag each encrypted slice carries after its ciphertext. */
export const AEAD_TAG_BYTES = 16

export interface SliceLayout {
  /** Plaintext size of the content in bytes. */
  readonly size: number
  /** Plaintext bytes per slice; a power of two. */
  readonly sliceSize: number
  readonly sliceCount: number
}

/** The slices a byte range touches, and where the range starts and ends inside them. */
export interface SliceSpan {
  readonly first: number
  readonly last: number
  /** Bytes to skip at the start of slice `first`. */
  readonly skip: number
  /** Total bytes of the range. */
  readonly length: number
}

function isPowerOfTwo (n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0
}

export function assertSliceSize (sliceSize: number): void {
  if (!isPowerOfTwo(sliceSize) || sliceSize < MIN_SLICE_SIZE || sliceSize > MAX_SLICE_SIZE) {
    throw new SwarmError('BAD_LAYOUT', `slice size must be a power of two between ${MIN_SLICE_SIZE} and ${MAX_SLICE_SIZE}, got ${String(sliceSize)}`, { sliceSize })
  }
}

export function sliceCountFor (size: number, sliceSize: number): number {
  return Math.ceil(size / sliceSize)
}

/** Builds a layout from a content size; empty content has no slices to exchange and is refused. */
export function makeLayout (size: number, sliceSize: number = DEFAULT_SLICE_SIZE): SliceLayout {
  assertSliceSize(sliceSize)
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new SwarmError('BAD_LAYOUT', `content size must be a positive integer, got ${String(size)}`, { size })
  }
  const sliceCount = sliceCountFor(size, sliceSize)
  if (sliceCount > MAX_SLICE_COUNT) {
    throw new SwarmError('BAD_LAYOUT', `content of ${size} bytes needs ${sliceCount} slices of ${sliceSize}; at most ${MAX_SLICE_COUNT} are allowed`, { size, sliceSize, sliceCount })
  }
  return { size, sliceSize, sliceCount }
}

/** Checks layout fields received from a card or a peer, including that they agree with each other. */
export function assertLayout (layout: SliceLayout): SliceLayout {
  const fresh = makeLayout(layout.size, layout.sliceSize)
  if (fresh.sliceCount !== layout.sliceCount) {
    throw new SwarmError('BAD_LAYOUT', `slice count ${String(layout.sliceCount)} does not match size ${layout.size} and slice size ${layout.sliceSize}`, { ...layout })
  }
  return fresh
}

export function assertIndex (layout: SliceLayout, index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= layout.sliceCount) {
    throw new SwarmError('INDEX_OUT_OF_RANGE', `slice index ${String(index)} is outside 0..${layout.sliceCount - 1}`, { index, sliceCount: layout.sliceCount })
  }
}

export function sliceOffset (layout: SliceLayout, index: number): number {
  assertIndex(layout, index)
  return index * layout.sliceSize
}

/** Plaintext length of slice `index`: `sliceSize` except for the last slice. */
export function sliceLength (layout: SliceLayout, index: number): number {
  assertIndex(layout, index)
  if (index < layout.sliceCount - 1) return layout.sliceSize
  return layout.size - (layout.sliceCount - 1) * layout.sliceSize
}

/** Length of slice `index` as stored and exchanged: plaintext plus the AEAD tag when encrypted. */
export function storedSliceLength (layout: SliceLayout, index: number, encrypted: boolean): number {
  return sliceLength(layout, index) + (encrypted ? AEAD_TAG_BYTES : 0)
}

/**
 * Maps the inclusive byte range [start, end] (HTTP Range semantics) onto slices. `end` past the
 * content is clamped, as RFC 9110 asks; a start past the content is not satisfiable.
 */
export function byteRangeToSlices (layout: SliceLayout, start: number, end: number = layout.size - 1): SliceSpan {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || start >= layout.size) {
    throw new SwarmError('RANGE_NOT_SATISFIABLE', `byte range ${String(start)}-${String(end)} is not satisfiable for ${layout.size} bytes`, { start, end, size: layout.size })
  }
  const last = Math.min(end, layout.size - 1)
  return {
    first: Math.floor(start / layout.sliceSize),
    last: Math.floor(last / layout.sliceSize),
    skip: start % layout.sliceSize,
    length: last - start + 1
  }
}

/**
 * Resolves a suffix range (`bytes=-N`, the last N bytes) to an absolute one; players use it to
 * read a container's index at the end of a file before playing from the start.
 */
export function suffixRange (layout: SliceLayout, suffixLength: number): SliceSpan {
  if (!Number.isSafeInteger(suffixLength) || suffixLength < 1) {
    throw new SwarmError('RANGE_NOT_SATISFIABLE', `suffix length ${String(suffixLength)} is not satisfiable`, { suffixLength })
  }
  const start = Math.max(0, layout.size - suffixLength)
  return byteRangeToSlices(layout, start, layout.size - 1)
}
