/**
 * A libp2p node for the slice swarm alone: TCP, Noise, Yamux — used by tests, the benchmark and a
 * node whose network module is not running. Yamux is tuned for bulk transfer: with the default
 * 256 KiB initial stream window and 64 KiB frames, a 256 KiB slice needs a window update round
 * trip per slice; a larger initial window (4 MiB) lets a pipeline of slices flow, and 256 KiB
 * frames cut per-frame overhead. Measured in bench/swarm.ts (see docs/swarm.md).
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { PrivateKey } from '@libp2p/interface'

export const SWARM_YAMUX = {
  maxMessageSize: 256 * 1024,
  streamOptions: { initialStreamWindowSize: 4 * 1024 * 1024, maxStreamWindowSize: 16 * 1024 * 1024 }
} as const

export interface SwarmHostInit {
  listen: string[]
  privateKey?: PrivateKey
}

export async function createSwarmHost (init: SwarmHostInit): Promise<Libp2p> {
  return await createLibp2p({
    ...(init.privateKey != null ? { privateKey: init.privateKey } : {}),
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux(SWARM_YAMUX)],
    connectionManager: { maxConnections: 256, dialTimeout: 5_000 }
  })
}
