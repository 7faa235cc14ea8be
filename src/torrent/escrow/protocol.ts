/**
 * The key-share protocol over libp2p (MISSION.md §8): `/folio/escrow/1.0.0`, one stream per
 * request — the holder writes one length-prefixed request frame, the validator writes one answer
 * frame (msgpack of the JSON answer form) and closes. Both sides take a plain Stream, so tests
 * pair in-memory streams; reads are bounded by a frame limit and an abort signal. All decisions
 * are in `EscrowServer.answerShareRequest`; this file only translates.
 */
import type { Libp2p, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { packRecord, unpackRecord } from '../../codec/index.js'
import { decodeAddress } from '../../crypto/index.js'
import { errorMessage } from '../../errors.js'
import { EscrowError } from './errors.js'
import { answerFromJson, answerToJson, decodeShareRequest, encodeShareRequest, type ShareAnswer, type ShareRequest } from './request.js'
import type { EscrowServer } from './server.js'
import type { ShareSource } from './client.js'

export const ESCROW_PROTOCOL = '/folio/escrow/1.0.0'
/** A request is ~220 bytes; an answer ~150 (share) or a refusal message. */
export const MAX_REQUEST_FRAME = 1024
export const MAX_ANSWER_FRAME = 2048

export interface EscrowProtocolInit {
  timeoutMs: number
  maxInboundStreams: number
  log?: { debug: (obj: unknown, msg?: string) => void }
}

/** Answers one request on `stream`. A malformed frame is refused in-band ('bad request'). */
export async function serveShareRequest (stream: Stream, server: EscrowServer, peer: string, signal: AbortSignal): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_FRAME })
  const frame = (await lp.read({ signal })).subarray()
  let answer: ShareAnswer
  try {
    answer = await server.answerShareRequest(decodeShareRequest(frame), peer)
  } catch (err) {
    if (!(err instanceof EscrowError)) throw err
    answer = { ok: false, validator: server.address, reason: 'bad request', message: err.message }
  }
  await lp.write(packRecord(answerToJson(answer)), { signal })
  await stream.close({ signal })
}

/** Sends one request on `stream` and reads the answer. */
export async function askOnStream (stream: Stream, req: ShareRequest, signal: AbortSignal): Promise<ShareAnswer> {
  const lp = lpStream(stream, { maxDataLength: MAX_ANSWER_FRAME })
  await lp.write(encodeShareRequest(req), { signal })
  const answer = answerFromJson(unpackRecord((await lp.read({ signal })).subarray()), decodeAddress)
  await stream.close({ signal }).catch(() => {})
  return answer
}

/** Registers the handler on `libp2p`; returns how to unregister it. */
export async function registerEscrowProtocol (libp2p: Libp2p, server: EscrowServer, init: EscrowProtocolInit): Promise<() => Promise<void>> {
  await libp2p.handle(ESCROW_PROTOCOL, async (stream, connection) => {
    const peer = connection.remotePeer.toString()
    try {
      await serveShareRequest(stream, server, peer, AbortSignal.timeout(init.timeoutMs))
    } catch (err) {
      stream.abort(err as Error)
      init.log?.debug({ peer, err: errorMessage(err) }, 'escrow share request failed')
    }
  }, { maxInboundStreams: init.maxInboundStreams })
  return async () => { await libp2p.unhandle(ESCROW_PROTOCOL) }
}

/** A share source that asks one peer over libp2p. */
export function libp2pShareSource (libp2p: Libp2p, peer: string): ShareSource {
  return {
    name: `peer ${peer}`,
    ask: async (req, signal) => {
      const stream = await libp2p.dialProtocol(peerIdFromString(peer), ESCROW_PROTOCOL, { signal })
      try {
        return [await askOnStream(stream, req, signal)]
      } catch (err) {
        stream.abort(err as Error)
        throw err
      }
    }
  }
}

/** Connected peers that speak the escrow protocol (as identify reported them). */
export async function escrowPeers (libp2p: Libp2p): Promise<string[]> {
  const out: string[] = []
  for (const id of libp2p.getPeers()) {
    try {
      const p = await libp2p.peerStore.get(id)
      if (p.protocols.includes(ESCROW_PROTOCOL)) out.push(id.toString())
    } catch {}
  }
  return out
}
