/**
 * A libp2p node for the slice swarm alone: TCP, Noise, Yamux — used by tests, the benchmark and a
 * node whose network module is not running. Yamux settings (docs/decisions/0006-swarm-yamux.md):
 * a 4 MiB initial stream window, so that a pipeline of eight 256 KiB slices flows without waiting
 * for window updates (the default 256 KiB allows one slice per round trip until yamux's auto-tuning
 * grows it: 2.6 MB/s at 100 ms RTT), growing to 16 MiB; and frames of up to 257 KiB, so that a
 * whole default-size slice frame (256 KiB + tag + ~50 bytes of header) is one yamux frame rather
 * than a full one and a 63-byte one. On loopback the windows make no measurable difference. TCP goes
 * through `tcpTransport`, which hands the kernel each slice's Noise messages in one write.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { PrivateKey } from '@libp2p/interface'
import { tcpTransport } from '../network/tcpTransport.js'

export const SWARM_YAMUX = {
  maxMessageSize: 257 * 1024,
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
    transports: [tcpTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux(SWARM_YAMUX)],
    connectionManager: { maxConnections: 256, dialTimeout: 5_000 }
  })
}
