/**
 * folio's network layer (MISSION.md §2, §5, §6, §12): a libp2p 3 host (TCP, Noise, Yamux),
 * gossipsub topics for transactions, proposals, votes and evidence with validation feeding peer
 * scores, and the block-sync protocol that brings a lagging or new node up to the network's head
 * before it follows consensus. See docs/network.md.
 *
 *   const net = new FolioNetwork({ privateKey, listen, bootstrap, chain, addTx, consensus, log })
 *   await net.start()                    // listens, dials bootstrap peers, syncs, then resumes consensus
 *   bridge.addSink(net.sink())           // consensus → gossip
 *   mempool.onAdded(p => { if (!p.fromPeer) net.publishTx(p.bytes) })
 *   net.peers(); net.syncing
 *   await net.stop()
 */
export { FolioNetwork } from './network.js'
export type { NetworkInit, PeerInfo } from './network.js'
export { NetworkError, GossipValidationError } from './errors.js'
export type { NetworkErrorCode, GossipErrorCode, GossipAction } from './errors.js'
export { defaultNetworkOptions, resolveNetworkOptions, PENALTY } from './options.js'
export type { NetworkOptions } from './options.js'
export { topicsFor } from './topics.js'
export type { Topics } from './topics.js'
export { BlockSync } from './blockSync.js'
export type { SyncMode, SyncTransport, ConsensusControl } from './blockSync.js'
export { BLOCKSYNC_PROTOCOL, MAX_SYNC_BATCH } from './blocksyncMessages.js'
export type { SyncStatus, SyncBlock } from './blocksyncMessages.js'
export { applySyncBlock, verifySyncBlock } from './blockApply.js'
export { loadOrCreatePeerKey, readPeerKey, writePeerKey, peerKeyPath, PEER_KEY_FILE } from './peerKey.js'
export { devnetPeerKey, devnetPeerId, devnetBootstrapAddr, writeDevnetPeerKey } from './devnetPeers.js'
