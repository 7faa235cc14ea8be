/**
 * Deterministic devnet p2p identities, so that the devnet launcher can write every node's
 * bootstrap list before any node has started. Like the validator keys of src/node/devnetKeys.ts,
 * these are derived from public strings and are INSECURE: for a local devnet only.
 *
 * The launcher: for node i, `await writeDevnetPeerKey(home_i, i)` and give the other nodes
 * `devnetBootstrapAddr(i, port_i)` in `config.p2p.bootstrap`.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { sha256 } from '../crypto/index.js'
import { utf8 } from '../codec/index.js'
import { peerKeyPath, writePeerKey } from './peerKey.js'

export async function devnetPeerKey (i: number): Promise<PrivateKey> {
  return await generateKeyPairFromSeed('Ed25519', sha256(utf8(`folio devnet INSECURE p2p key ${i}`)))
}

export async function devnetPeerId (i: number): Promise<string> {
  return peerIdFromPrivateKey(await devnetPeerKey(i)).toString()
}

/** The bootstrap multiaddr of devnet node i listening on loopback `port`. */
export async function devnetBootstrapAddr (i: number, port: number): Promise<string> {
  return `/ip4/127.0.0.1/tcp/${port}/p2p/${await devnetPeerId(i)}`
}

/** Writes node i's deterministic key as `<home>/p2p_key`, where the network module reads it. */
export async function writeDevnetPeerKey (home: string, i: number): Promise<void> {
  await writePeerKey(peerKeyPath(home), await devnetPeerKey(i))
}
