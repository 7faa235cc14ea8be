/**
 * Transaction types of the seeder map (MISSION.md §4): `seed.announce {card, multiaddrs,
 * pricePerMiB, ttl}` — the sender serves the card's slices at these libp2p addresses for `ttl`
 * blocks (bounded by the genesis `maxSeedTtl`) unless it announces again — and `seed.withdraw
 * {card}`. Address syntax and count are schema limits, so a malformed announcement never decodes;
 * rules that need state (the card exists and has content, ttl ≤ maxSeedTtl) are in src/state/seeders.
 */
import { bytes, list, string, struct, u53, uint, type Infer } from '../../codec/schema.js'
import { registerTxType } from '../txTypes.js'

export const SEED_LIMITS = {
  /** Addresses one announcement may list (a few transports and IP families). */
  multiaddrs: 8,
  multiaddrChars: 256
} as const

export const SeedAnnounceBody = struct({
  card: bytes({ len: 32 }),
  /** libp2p multiaddrs ending in /p2p/<peer id> where the seeder's slice service listens. */
  multiaddrs: list(string({ max: SEED_LIMITS.multiaddrChars }), { max: SEED_LIMITS.multiaddrs }),
  /** Asking price per MiB served, in ufol (0 = free). */
  pricePerMiB: uint({ max: (1n << 128n) - 1n }),
  /** Blocks the announcement stays live. */
  ttl: u53()
})
export type SeedAnnounceBodyValue = Infer<typeof SeedAnnounceBody>

export const SeedWithdrawBody = struct({ card: bytes({ len: 32 }) })

registerTxType('seed.announce', SeedAnnounceBody)
registerTxType('seed.withdraw', SeedWithdrawBody)
