/**
 * The node's store of content keys it may use (MISSION.md §8): the keys of cards its own user
 * published (pushed by `folio publish` over the loopback-only upload) and, later, keys reassembled
 * through key escrow. Kept in the swarm's own LevelDB under the prefix byte `k`, never on chain,
 * never served to peers; the RPC and HTTP routes that touch it answer loopback clients only.
 */
import type { KVStore } from '../state/store.js'
import { SwarmError } from './errors.js'
import { CONTENT_KEY_BYTES } from './contentKey.js'
import type { KeyProvider } from './sources.js'

const PREFIX = 0x6b // 'k'

function keyOf (card: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + card.length)
  k[0] = PREFIX
  k.set(card, 1)
  return k
}

export class ContentKeyStore implements KeyProvider {
  constructor (private readonly kv: KVStore) {}

  async put (card: Uint8Array, key: Uint8Array): Promise<void> {
    if (!(key instanceof Uint8Array) || key.length !== CONTENT_KEY_BYTES) {
      throw new SwarmError('BAD_KEY', `a content key must be ${CONTENT_KEY_BYTES} bytes`)
    }
    await this.kv.batch([{ type: 'put', key: keyOf(card), value: key }])
  }

  async get (card: Uint8Array): Promise<Uint8Array | undefined> {
    return await this.kv.get(keyOf(card))
  }

  async delete (card: Uint8Array): Promise<void> {
    await this.kv.batch([{ type: 'del', key: keyOf(card) }])
  }

  async key (card: { id: Uint8Array }): Promise<Uint8Array | undefined> {
    return await this.get(card.id)
  }
}
