/**
 * The bytes of key escrow (MISSION.md §8, docs/keys.md): how the content key is committed to, how
 * each validator's share is committed to and sealed in the card, and how a released share is
 * sealed to the holder.
 *
 *   keyCommitment        = sha256("folio/key-commitment/v1" || contentKey)
 *   shareCommitment_i    = sha256("folio/share-commitment/v1" || share_i || salt_i)
 *   card escrow entry i  = shareCommitment_i (32) || sealTo(escrowKey_i, share_i || salt_i, ESCROW_SHARE_INFO)
 *   released share       = sealTo(x25519(holder's Ed25519 key), share_i || salt_i, ESCROW_RELEASE_INFO)
 *
 * Why per-share commitments: Shamir shares alone cannot say which one is wrong, so a single
 * validator serving garbage would make every combination containing it fail. The commitment sits
 * in the clear in front of the sealed share (the cards' `sealed` field is opaque bytes), so the
 * client checks each released share on its own and combines only good ones. The random 16-byte
 * salt keeps a commitment from being a hash of the share alone.
 */
import {
  sha256Concat, sealTo, openSealed, randomBytes, constantTimeEqual, escrowThreshold, splitSecret, SEAL_OVERHEAD
} from '../../crypto/index.js'
import { utf8 } from '../../codec/index.js'
import type { EscrowSpecValue } from '../../blocks/index.js'
import { EscrowError } from './errors.js'

export const ESCROW_SHARE_INFO = 'folio/escrow-share/v1'
export const ESCROW_RELEASE_INFO = 'folio/escrow-release/v1'
const KEY_COMMITMENT_TAG = utf8('folio/key-commitment/v1')
const SHARE_COMMITMENT_TAG = utf8('folio/share-commitment/v1')
export const SHARE_SALT_BYTES = 16
export const COMMITMENT_BYTES = 32

export function keyCommitmentOf (contentKey: Uint8Array): Uint8Array {
  return sha256Concat(KEY_COMMITMENT_TAG, contentKey)
}

export function shareCommitmentOf (share: Uint8Array, salt: Uint8Array): Uint8Array {
  return sha256Concat(SHARE_COMMITMENT_TAG, share, salt)
}

export interface CommitteeMember {
  /** The validator's consensus address (20 bytes). */
  address: Uint8Array
  /** Its X25519 escrow public key. */
  escrowKey: Uint8Array
}

/**
 * Splits `contentKey` among `committee` (threshold floor((n-1)/3)+1) and seals each share to its
 * member. Members without an escrow key cannot hold a share: pass only those that have one.
 */
export async function buildEscrow (contentKey: Uint8Array, committee: CommitteeMember[]): Promise<{ escrow: EscrowSpecValue, keyCommitment: Uint8Array }> {
  if (committee.length === 0) throw new EscrowError('NO_COMMITTEE', 'no validator with an escrow key to hold the shares')
  const threshold = escrowThreshold(committee.length)
  const shares = await splitSecret(contentKey, committee.length, threshold)
  return {
    keyCommitment: keyCommitmentOf(contentKey),
    escrow: {
      threshold,
      shares: committee.map((m, i) => {
        const salt = randomBytes(SHARE_SALT_BYTES)
        const payload = concat(shares[i]!, salt)
        return { validator: m.address, sealed: concat(shareCommitmentOf(shares[i]!, salt), sealTo(m.escrowKey, payload, ESCROW_SHARE_INFO)) }
      })
    }
  }
}

export interface SharePayload {
  share: Uint8Array
  salt: Uint8Array
}

export function splitPayload (payload: Uint8Array): SharePayload {
  if (payload.length < SHARE_SALT_BYTES + 2) throw new EscrowError('BAD_SHARE', 'a share payload is too short')
  return { share: payload.slice(0, payload.length - SHARE_SALT_BYTES), salt: payload.slice(payload.length - SHARE_SALT_BYTES) }
}

export function entryCommitment (sealedEntry: Uint8Array): Uint8Array {
  if (sealedEntry.length < COMMITMENT_BYTES + SEAL_OVERHEAD) throw new EscrowError('BAD_SHARE', 'an escrow entry is too short')
  return sealedEntry.subarray(0, COMMITMENT_BYTES)
}

/** A validator opens its own entry with its escrow secret; the share must match its commitment. */
export function openEscrowEntry (escrowSecret: Uint8Array, sealedEntry: Uint8Array): SharePayload {
  const commitment = entryCommitment(sealedEntry)
  const payload = splitPayload(openSealed(escrowSecret, sealedEntry.subarray(COMMITMENT_BYTES), ESCROW_SHARE_INFO))
  if (!constantTimeEqual(shareCommitmentOf(payload.share, payload.salt), commitment)) {
    throw new EscrowError('BAD_SHARE', 'the escrowed share does not match its commitment (the publisher built a bad escrow)')
  }
  return payload
}

/** True when a released payload is the share committed to in `sealedEntry`. */
export function matchesEntry (payload: SharePayload, sealedEntry: Uint8Array): boolean {
  return constantTimeEqual(shareCommitmentOf(payload.share, payload.salt), entryCommitment(sealedEntry))
}

export function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
