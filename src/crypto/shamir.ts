/**
 * Shamir secret sharing over GF(2^8) for key escrow (MISSION.md §8), on the audited
 * `shamir-secret-sharing` package. This wrapper adds what escrow needs and the package does not
 * do: the threshold rule `t = floor((n-1)/3) + 1`, and committees of one to three validators,
 * where t = 1. The package insists on t ≥ 2, so for t = 1 we use the degree-0 polynomial: every
 * share is the secret with a distinct x-coordinate, which is exactly Shamir's scheme at t = 1.
 *
 * Share layout (the package's): y-bytes (secret length) || x-coordinate (one byte, 1..255).
 * Fewer than t shares are independent of the secret (information-theoretic), so t-1 colluding
 * validators learn nothing; the per-share commitments of src/torrent/escrow make a wrong share
 * detectable, since the scheme alone cannot say which share is bad.
 */
import { split, combine } from 'shamir-secret-sharing'
import { CryptoError } from './errors.js'

/** Most shares one secret can be split into (x-coordinates are the non-zero bytes). */
export const SHAMIR_MAX_SHARES = 255

/** The escrow threshold of a committee of `n`: more than a third, so fewer than 1/3 faulty cannot reach it alone. */
export function escrowThreshold (n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new CryptoError('INVALID_KEY', `a committee needs at least one member, got ${n}`)
  return Math.floor((n - 1) / 3) + 1
}

/** Splits `secret` into `n` shares, any `t` of which rebuild it. */
export async function splitSecret (secret: Uint8Array, n: number, t: number): Promise<Uint8Array[]> {
  if (!(secret instanceof Uint8Array) || secret.length === 0) throw new CryptoError('INVALID_KEY', 'the secret to split must be non-empty bytes')
  if (!Number.isSafeInteger(n) || n < 1 || n > SHAMIR_MAX_SHARES) throw new CryptoError('INVALID_KEY', `share count must be 1..${SHAMIR_MAX_SHARES}, got ${n}`)
  if (!Number.isSafeInteger(t) || t < 1 || t > n) throw new CryptoError('INVALID_KEY', `threshold must be 1..${n}, got ${t}`)
  if (t === 1) {
    return Array.from({ length: n }, (_, i) => {
      const share = new Uint8Array(secret.length + 1)
      share.set(secret)
      share[secret.length] = i + 1
      return share
    })
  }
  // The package needs n ≥ 2, which t ≥ 2 implies.
  return await split(Uint8Array.from(secret), n, t)
}

/**
 * Rebuilds a secret from shares. Give exactly the threshold's number of shares: with fewer the
 * result is a wrong secret, not an error (that is the scheme's secrecy), so callers check it
 * against a commitment.
 */
export async function combineShares (shares: Uint8Array[]): Promise<Uint8Array> {
  if (shares.length === 0) throw new CryptoError('INVALID_KEY', 'no shares to combine')
  const len = shares[0]!.length
  const xs = new Set<number>()
  for (const s of shares) {
    if (!(s instanceof Uint8Array) || s.length < 2 || s.length !== len) throw new CryptoError('INVALID_KEY', 'shares must be byte strings of one length, at least 2 bytes')
    const x = s[len - 1]!
    if (x === 0 || xs.has(x)) throw new CryptoError('INVALID_KEY', `share x-coordinate ${x} is zero or repeated`)
    xs.add(x)
  }
  if (shares.length === 1) return Uint8Array.from(shares[0]!.subarray(0, len - 1))
  return await combine(shares.map(s => Uint8Array.from(s)))
}
