/**
 * The node's libp2p identity. The peer id must survive restarts — other nodes list it in their
 * bootstrap addresses — so the Ed25519 key is kept in `<home>/p2p_key` (JSON, mode 0600) and
 * created on first start. It is separate from the validator's consensus key on purpose: a p2p key
 * is exposed to every peer's handshake and can be rotated without touching consensus.
 */
import { readFile, writeFile, rename, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { fromHex, toHex } from '../codec/index.js'
import { NetworkError } from './errors.js'

export const PEER_KEY_FILE = 'p2p_key'

interface PeerKeyFile {
  peerId: string
  /** libp2p protobuf encoding of the private key, 0x-hex. */
  privateKey: string
}

export function peerKeyPath (home: string): string {
  return join(home, PEER_KEY_FILE)
}

export async function writePeerKey (path: string, key: PrivateKey): Promise<void> {
  const file: PeerKeyFile = { peerId: peerIdFromPrivateKey(key).toString(), privateKey: toHex(privateKeyToProtobuf(key)) }
  await mkdir(dirname(path), { recursive: true })
  // write then rename, so a crash never leaves a half-written key that would change our identity
  const tmp = `${path}.tmp`
  await writeFile(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, path)
}

export async function readPeerKey (path: string): Promise<PrivateKey | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const json = JSON.parse(text) as PeerKeyFile
    const key = privateKeyFromProtobuf(fromHex(json.privateKey))
    if (typeof json.peerId === 'string' && json.peerId !== peerIdFromPrivateKey(key).toString()) {
      throw new Error('the peer id does not match the key')
    }
    return key
  } catch (err) {
    throw new NetworkError('INVALID_KEY_FILE', `${path} is not a p2p key file: ${(err as Error).message}`)
  }
}

/** Reads the node's p2p key, creating and persisting a fresh Ed25519 key on first use. */
export async function loadOrCreatePeerKey (home: string): Promise<PrivateKey> {
  const path = peerKeyPath(home)
  const existing = await readPeerKey(path)
  if (existing !== undefined) return existing
  const key = await generateKeyPair('Ed25519')
  await writePeerKey(path, key)
  return key
}
