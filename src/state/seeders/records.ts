/**
 * Seeder-map records in state (MISSION.md §4), all under `s/` and so covered by the state root:
 *
 *   s/seed/<card><seeder>            entry: multiaddrs, price per MiB, since, expires (RLP)
 *   s/seed.x/<expires:u64><card><seeder>   expiry queue: what the end-of-block hook removes
 *
 * An entry announced at height h with ttl t is live for heights h … h+t-1: block h+t removes it.
 * Keying entries by card first makes "who seeds card C" one prefix scan; keying the expiry queue by
 * height first makes the end-of-block hook read only what expires at that height.
 */
import { bytes, list, string, struct, u53, uint, type Infer } from '../../codec/index.js'
import { SEED_LIMITS } from '../../blocks/index.js'
import { heightKey, readHeightKey, stateKey } from '../keys.js'

export const SeedEntry = struct({
  multiaddrs: list(string({ max: SEED_LIMITS.multiaddrChars }), { max: SEED_LIMITS.multiaddrs }),
  pricePerMiB: uint({ max: (1n << 128n) - 1n }),
  /** Height of the announcement that set this entry. */
  since: u53(),
  /** First height at which the entry is no longer live. */
  expires: u53()
})
export type SeedEntryValue = Infer<typeof SeedEntry>

export const SEED_PREFIX = stateKey('seed')
export const SEED_EXPIRY_PREFIX = stateKey('seed.x')

export const seedKey = (card: Uint8Array, seeder: Uint8Array): Uint8Array => stateKey('seed', card, seeder)
export const seedCardPrefix = (card: Uint8Array): Uint8Array => stateKey('seed', card)
export const seedExpiryKey = (expires: number, card: Uint8Array, seeder: Uint8Array): Uint8Array => stateKey('seed.x', heightKey(expires), card, seeder)
export const seedExpiryPrefix = (height: number): Uint8Array => stateKey('seed.x', heightKey(height))

/** Splits an expiry-queue key into its card and seeder. */
export function parseExpiryKey (key: Uint8Array): { expires: number, card: Uint8Array, seeder: Uint8Array } {
  const off = SEED_EXPIRY_PREFIX.length
  return { expires: readHeightKey(key, off), card: key.slice(off + 8, off + 40), seeder: key.slice(off + 40, off + 60) }
}

/** Splits an entry key into its card and seeder. */
export function parseSeedKey (key: Uint8Array): { card: Uint8Array, seeder: Uint8Array } {
  const off = SEED_PREFIX.length
  return { card: key.slice(off, off + 32), seeder: key.slice(off + 32, off + 52) }
}

export function decodeSeedEntry (bytes: Uint8Array | undefined): SeedEntryValue | undefined {
  return bytes === undefined ? undefined : SeedEntry.fromBytes(bytes)
}

/** libp2p multiaddr text: starts with '/', printable ASCII, and names the peer (/p2p/<id>). */
export const MULTIADDR_TEXT = /^(\/[0-9A-Za-z._~:%+-]+)+$/
