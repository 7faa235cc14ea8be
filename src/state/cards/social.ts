/**
 * Reading the social graph of committed state: who an account follows or mutes (prefix scans of
 * the edge records, bounded by the per-account limits of handlers.ts), who flagged a card, and an
 * account's profile and counters for `account_get`.
 */
import { toHex } from '../../codec/index.js'
import type { StateStore } from '../stateStore.js'
import type { KVStore } from '../store.js'
import { prefixEnd } from '../keys.js'
import {
  followKey, muteKey, flagKey, profileKey, socialCountersKey, decodeProfile, AccountSocialCounters
} from './records.js'
import { MAX_FOLLOWING, MAX_MUTED } from './handlers.js'

/** Reads the second 20-byte part of edge keys `s/<area>/<a20><b20>` under `a` (one bounded key read). */
async function edgeTargets (state: StateStore, prefix: Uint8Array, max: number): Promise<Set<string>> {
  const keys = await state.kv.keys({ gte: prefix, lt: prefixEnd(prefix), limit: max })
  return new Set(keys.map(k => toHex(k.subarray(k.length - 20))))
}

/** Hex addresses `account` follows (at most MAX_FOLLOWING, which the state rules enforce). */
export async function followeesOf (state: StateStore, account: Uint8Array): Promise<Set<string>> {
  return await edgeTargets(state, followKey(account, new Uint8Array(0)), MAX_FOLLOWING)
}

export async function mutedBy (state: StateStore, account: Uint8Array): Promise<Set<string>> {
  return await edgeTargets(state, muteKey(account, new Uint8Array(0)), MAX_MUTED)
}

export async function isFollowing (state: StateStore, follower: Uint8Array, followee: Uint8Array): Promise<boolean> {
  return (await state.get(followKey(follower, followee))) !== undefined
}

/** Hex addresses of up to `max` accounts that flagged `card`. */
export async function flaggersOf (state: StateStore, card: Uint8Array, max: number): Promise<Set<string>> {
  return await edgeTargets(state, flagKey(card, new Uint8Array(0)), max)
}

export interface AccountSocial {
  profile: { name: string, bio: string, avatar: string } | null
  followers: number
  following: number
  cards: number
  muted: number
}

/**
 * Profile and social counters of an account, in the JSON shape `account_get` returns them
 * (avatar as 0x-hex). An account with no social records reads as zeros and a null profile.
 */
export async function accountSocial (chain: { kv: KVStore }, address: Uint8Array): Promise<AccountSocial> {
  // straight from the store, not the state cache: see cardsJSON in src/rpc/methods/feed.ts
  const [p, n] = await chain.kv.getMany([profileKey(address), socialCountersKey(address)])
  const profile = decodeProfile(p)
  const counts = n === undefined ? { followers: 0, following: 0, cards: 0, muted: 0 } : AccountSocialCounters.fromBytes(n)
  return {
    profile: profile === undefined ? null : { name: profile.name, bio: profile.bio, avatar: toHex(profile.avatar) },
    ...counts
  }
}
