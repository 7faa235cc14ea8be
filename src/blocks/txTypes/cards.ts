/**
 * Transaction types of hash cards and the social graph (MISSION.md §4): card.publish, card.react,
 * card.repost, card.view, card.flag, social.follow/unfollow/mute/unmute and profile.set.
 *
 * The size limits of the issue (title ≤ 200 characters, body ≤ 2,000, ≤ 10 tags of ≤ 32, preview
 * ≤ 64 KiB, avatar ≤ 16 KiB) live in the schemas themselves, so a transaction that breaks one does
 * not even decode — the mempool refuses it with the field path and the limit — and no block can
 * carry one. Rules that need state (the parent exists, one reaction per account) are in
 * src/state/cards.
 */
import { bytes, enumOf, list, optional, string, struct, u53, uint, type Infer } from '../../codec/schema.js'
import { registerTxType } from '../txTypes.js'

export const CARD_KINDS = ['text', 'image', 'audio', 'video', 'software', 'document', 'site', 'other'] as const
export type CardKind = typeof CARD_KINDS[number]

export const REACTIONS = ['like', 'love', 'laugh', 'wow', 'sad', 'angry'] as const
export type Reaction = typeof REACTIONS[number]

export const CARD_LIMITS = {
  titleChars: 200,
  bodyChars: 2_000,
  tags: 10,
  tagChars: 32,
  mimeChars: 127,
  previewBytes: 64 * 1024,
  avatarBytes: 16 * 1024,
  nameChars: 64,
  bioChars: 500,
  flagReasonChars: 200,
  /** Escrow shares: one per validator; generous bound on the committee size. */
  escrowShares: 256,
  escrowShareBytes: 512,
  maxBps: 10_000
} as const

/** One validator's Shamir share of a content key, sealed to its escrow (X25519) key. */
export const EscrowShare = struct({
  validator: bytes({ len: 20 }),
  sealed: bytes({ max: CARD_LIMITS.escrowShareBytes })
})

/** The escrowed content key: threshold t of the committee's shares (MISSION.md §8). */
export const EscrowSpec = struct({
  threshold: u53({ max: CARD_LIMITS.escrowShares }),
  shares: list(EscrowShare, { max: CARD_LIMITS.escrowShares })
})
export type EscrowSpecValue = Infer<typeof EscrowSpec>

export const CardPublishBody = struct({
  kind: enumOf(CARD_KINDS),
  title: string({ max: CARD_LIMITS.titleChars }),
  body: string({ max: CARD_LIMITS.bodyChars }),
  tags: list(string({ max: CARD_LIMITS.tagChars }), { max: CARD_LIMITS.tags }),
  mime: string({ max: CARD_LIMITS.mimeChars }),
  /** Plaintext content size in bytes (0 for a plain post). */
  size: u53(),
  /** Slice size in bytes (256 KiB by default; 0 when there is no content). */
  sliceSize: u53(),
  /** Merkle root over the SHA-256 of the encrypted slices; null for a plain post. */
  contentRoot: optional(bytes({ len: 32 })),
  sliceCount: u53(),
  /** Inline free preview (thumbnail, excerpt). */
  preview: bytes({ max: CARD_LIMITS.previewBytes }),
  /** Root of a larger free preview served unencrypted by the swarm. */
  previewRoot: optional(bytes({ len: 32 })),
  /** Price of one key in ufol (0 = free). */
  price: uint({ max: (1n << 128n) - 1n }),
  /** Keys that may ever be minted (0 = unlimited). */
  supply: u53(),
  royaltyBps: u53({ max: CARD_LIMITS.maxBps }),
  seedShareBps: u53({ max: CARD_LIMITS.maxBps }),
  /** The card this one replies to. */
  parent: optional(bytes({ len: 32 })),
  /** Random salt of the HKDF derivation of the content key from the creator's master secret. */
  keySalt: optional(bytes({ len: 32 })),
  escrow: optional(EscrowSpec),
  keyCommitment: optional(bytes({ len: 32 })),
  /** The content key in clear: only for free content (price 0, no escrow). */
  contentKey: optional(bytes({ len: 32 }))
})
export type CardPublishBodyValue = Infer<typeof CardPublishBody>

const CardRef = { card: bytes({ len: 32 }) }

/** `reaction: null` removes the sender's reaction. */
export const CardReactBody = struct({ ...CardRef, reaction: optional(enumOf(REACTIONS)) })
export const CardRepostBody = struct({ ...CardRef })
export const CardViewBody = struct({ ...CardRef })
export const CardFlagBody = struct({ ...CardRef, reason: string({ max: CARD_LIMITS.flagReasonChars }) })

export const SocialAccountBody = struct({ account: bytes({ len: 20 }) })

export const ProfileSetBody = struct({
  name: string({ max: CARD_LIMITS.nameChars }),
  bio: string({ max: CARD_LIMITS.bioChars }),
  avatar: bytes({ max: CARD_LIMITS.avatarBytes })
})
export type ProfileValue = Infer<typeof ProfileSetBody>

registerTxType('card.publish', CardPublishBody)
registerTxType('card.react', CardReactBody)
registerTxType('card.repost', CardRepostBody)
registerTxType('card.view', CardViewBody)
registerTxType('card.flag', CardFlagBody)
registerTxType('social.follow', SocialAccountBody)
registerTxType('social.unfollow', SocialAccountBody)
registerTxType('social.mute', SocialAccountBody)
registerTxType('social.unmute', SocialAccountBody)
registerTxType('profile.set', ProfileSetBody)

/** A publish body with every optional part empty: a plain text post unless `over` says more. */
export function publishBody (over: Partial<CardPublishBodyValue> = {}): CardPublishBodyValue {
  return {
    kind: 'text',
    title: '',
    body: '',
    tags: [],
    mime: '',
    size: 0,
    sliceSize: 0,
    contentRoot: null,
    sliceCount: 0,
    preview: new Uint8Array(0),
    previewRoot: null,
    price: 0n,
    supply: 0,
    royaltyBps: 0,
    seedShareBps: 0,
    parent: null,
    keySalt: null,
    escrow: null,
    keyCommitment: null,
    contentKey: null,
    ...over
  }
}
