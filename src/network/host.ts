/**
 * The libp2p host: TCP, Noise, Yamux, identify and gossipsub, with every size limit explicit.
 *
 * Gossipsub runs StrictNoSign with content-addressed message ids: consensus messages and
 * transactions carry their own signatures, so libp2p envelopes would only add bytes and a second
 * signature check, and a content id makes the same vote relayed by two peers one message.
 *
 * Scoring (4–16 validators): invalid deliveries (P4) weigh heavily — two forged messages in quick
 * succession put a peer below the graylist threshold, and the network then disconnects it — while
 * the mesh-delivery-rate penalty (P3) is off, because consensus traffic comes in bursts and a
 * small mesh would punish honest peers for quiet rounds. Block-sync offences enter through the
 * application-specific score. Loopback is exempt from the IP-colocation penalty so that a devnet on
 * one machine scores like a real network.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import { createTopicScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score'
import { sha256 } from '../crypto/index.js'
import { utf8 } from '../codec/index.js'
import type { Topics } from './topics.js'
import { tcpTransport } from './tcpTransport.js'

export type FolioLibp2p = Libp2p<{ identify: ReturnType<ReturnType<typeof identify>>, pubsub: GossipSub }>

export interface HostInit {
  privateKey: PrivateKey
  listen: string[]
  topics: Topics
  /** The largest gossip message (a proposal with a largest block). */
  maxGossipBytes: number
  /** Penalty points of a peer (block sync), subtracted from its gossipsub score. */
  appPenalty: (peer: string) => number
  gater: ConnectionGater
  maxConnections?: number
}

export const SCORE_THRESHOLDS = Object.freeze({
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 5
})

function topicParams (weight: number): TopicScoreParams {
  return createTopicScoreParams({
    topicWeight: weight,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -20,
    invalidMessageDeliveriesDecay: 0.9
  })
}

/** sha256(topic ‖ 0 ‖ data), first 20 bytes: the same message has the same id whoever relays it. */
export function contentMessageId (topic: string, data: Uint8Array): Uint8Array {
  const t = utf8(topic)
  const buf = new Uint8Array(t.length + 1 + data.length)
  buf.set(t, 0)
  buf.set(data, t.length + 1)
  return sha256(buf).subarray(0, 20)
}

export async function createHost (init: HostInit): Promise<FolioLibp2p> {
  const { topics } = init
  const frame = init.maxGossipBytes + 64 * 1024
  return await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: [tcpTransport({ maxConnections: init.maxConnections ?? 128 })],
    connectionEncrypters: [noise()],
    // a yamux frame never exceeds 256 KiB; larger messages are split into frames by yamux itself
    streamMuxers: [yamux({ maxMessageSize: 256 * 1024, maxInboundStreams: 256 })],
    connectionGater: init.gater,
    connectionManager: { maxConnections: init.maxConnections ?? 128, dialTimeout: 5000 },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (msg) => contentMessageId(msg.topic, msg.data),
        allowedTopics: topics.all,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        emitSelf: false,
        floodPublish: true,
        maxInboundDataLength: frame,
        maxOutboundBufferSize: 4 * frame,
        scoreParams: {
          topics: {
            [topics.tx]: topicParams(0.5),
            [topics.proposal]: topicParams(1),
            [topics.vote]: topicParams(1),
            [topics.evidence]: topicParams(1)
          },
          appSpecificScore: (peer) => -init.appPenalty(peer),
          appSpecificWeight: 1,
          IPColocationFactorWhitelist: new Set(['127.0.0.1', '::1'])
        },
        scoreThresholds: SCORE_THRESHOLDS
      })
    }
  })
}
