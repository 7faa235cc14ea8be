/**
 * The block-sync protocol over one libp2p stream per request (see blocksyncMessages.ts for the
 * frames). Both sides take a plain Stream, so tests pair two in-memory streams. Every read is
 * bounded by a frame-size limit and an abort signal; writes wait on back-pressure (the
 * length-prefixed writer awaits `onDrain` when `send` returns false).
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import {
  MAX_REQUEST_BYTES, decodeRequest, encodeRequest, encodeStatus, decodeStatus, encodeBlocksHeader, decodeBlocksHeader,
  encodeSyncBlock, decodeSyncBlock, encodeConsensusFrame, decodeConsensusFrame, MAX_VOTES_RESPONSE,
  type SyncStatus, type SyncBlock, type SyncRequest, type ConsensusFrame
} from './blocksyncMessages.js'
import type { Commit } from '../blocks/types.js'
import { NetworkError } from './errors.js'

/** What a block-sync server reads: the chain, seen through three functions. */
export interface BlockSource {
  status: () => SyncStatus
  blockBytes: (height: number) => Promise<Uint8Array | undefined>
  commit: (height: number) => Promise<Commit | undefined>
  /** Consensus messages held for a height not yet committed. */
  consensusMessages: (height: number) => ConsensusFrame[]
}

export interface ServeOptions {
  signal: AbortSignal
  /** Stop adding blocks to a response after this many bytes (one block is always sent). */
  maxResponseBytes: number
  /** Called with the asker's status from a status request. */
  onStatus?: (status: SyncStatus) => void
}

/** Reads the blocks a range request may return: consecutive, each with its commit, within the byte budget. */
export async function readRange (source: BlockSource, from: number, count: number, maxBytes: number): Promise<SyncBlock[]> {
  const out: SyncBlock[] = []
  const head = source.status().height
  let total = 0
  for (let h = from; h < from + count && h <= head; h++) {
    const blockBytes = await source.blockBytes(h)
    const commit = await source.commit(h)
    if (blockBytes === undefined || commit === undefined) break
    if (out.length > 0 && total + blockBytes.length > maxBytes) break
    total += blockBytes.length
    out.push({ height: h, blockBytes, commit })
  }
  return out
}

/** Answers one request on `stream`, then closes it. Throws on a malformed request (the caller aborts). */
export async function serveBlocksync (stream: Stream, source: BlockSource, opts: ServeOptions): Promise<SyncRequest> {
  const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
  const req = decodeRequest((await lp.read({ signal: opts.signal })).subarray())
  if (req.t === 'status') {
    opts.onStatus?.(req.status)
    await lp.write(encodeStatus(source.status()), { signal: opts.signal })
  } else if (req.t === 'votes') {
    const frames = source.consensusMessages(req.height).slice(0, MAX_VOTES_RESPONSE)
    let total = 0
    let n = 0
    while (n < frames.length && (n === 0 || total + frames[n]!.data.length <= opts.maxResponseBytes)) total += frames[n++]!.data.length
    await lp.write(encodeBlocksHeader(n), { signal: opts.signal })
    for (const f of frames.slice(0, n)) await lp.write(encodeConsensusFrame(f), { signal: opts.signal })
  } else {
    const blocks = await readRange(source, req.from, req.count, opts.maxResponseBytes)
    await lp.write(encodeBlocksHeader(blocks.length), { signal: opts.signal })
    for (const b of blocks) await lp.write(encodeSyncBlock(b), { signal: opts.signal })
  }
  await stream.close({ signal: opts.signal })
  return req
}

/** Sends our status, returns the peer's. */
export async function requestStatus (stream: Stream, ours: SyncStatus, signal: AbortSignal): Promise<SyncStatus> {
  const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
  await lp.write(encodeRequest({ t: 'status', status: ours }), { signal })
  const status = decodeStatus((await lp.read({ signal })).subarray())
  await stream.close({ signal })
  return status
}

/**
 * Asks for `count` blocks from `from`; returns those the peer sent, checked to be the consecutive
 * heights asked for. `maxBlockBytes` bounds each frame.
 */
export async function requestBlocks (
  stream: Stream, from: number, count: number, maxBlockBytes: number, envelopeBytes: number, signal: AbortSignal
): Promise<SyncBlock[]> {
  const lp = lpStream(stream, { maxDataLength: maxBlockBytes + envelopeBytes })
  await lp.write(encodeRequest({ t: 'blocks', from, count }), { signal })
  const n = decodeBlocksHeader((await lp.read({ signal })).subarray(), count)
  const out: SyncBlock[] = []
  for (let i = 0; i < n; i++) {
    const b = decodeSyncBlock((await lp.read({ signal })).subarray(), maxBlockBytes)
    if (b.height !== from + i) throw new NetworkError('PROTOCOL', `peer sent block ${b.height}, expected ${from + i}`)
    out.push(b)
  }
  await stream.close({ signal })
  return out
}

/** Asks for the proposals and votes a peer holds for `height`. */
export async function requestConsensusMessages (
  stream: Stream, height: number, maxFrameBytes: number, signal: AbortSignal
): Promise<ConsensusFrame[]> {
  const lp = lpStream(stream, { maxDataLength: maxFrameBytes })
  await lp.write(encodeRequest({ t: 'votes', height }), { signal })
  const n = decodeBlocksHeader((await lp.read({ signal })).subarray(), MAX_VOTES_RESPONSE)
  const out: ConsensusFrame[] = []
  for (let i = 0; i < n; i++) out.push(decodeConsensusFrame((await lp.read({ signal })).subarray(), maxFrameBytes))
  await stream.close({ signal })
  return out
}
