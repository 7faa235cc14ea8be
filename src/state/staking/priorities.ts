/**
 * Proposer priorities carried in committed state, so that any node — one that never stopped, one
 * restarted at height 10^6, one that block-synced — knows every height's priorities in
 * O(validators) without replaying from genesis.
 *
 * The arithmetic is CometBFT's on plain arrays. src/consensus/validatorSet.ts uses the same
 * rescaling and centring (exported below: state sits below consensus, so the shared pieces live
 * here), and test/unit/staking/priorities.test.ts checks the two agree over random set sequences.
 *
 * What state stores for height h is the *base*: the priorities before height h's own increment.
 * The consensus app rebuilds the set as `new ValidatorSet(base(h)).incrementProposerPriority(1)`,
 * which equals `nextValidatorSet(set(h-1), changes)` because
 *   base(h) = changes ? applyChanges(post(h-1), changes) : post(h-1),   post(h) = increment(base(h)).
 */
import { bareHex } from '../../codec/hex.js'

export interface PrioritizedMember {
  address: Uint8Array
  power: bigint
  priority: bigint
}

const WINDOW_FACTOR = 2n

export function compareAddress (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}

function floorDiv (a: bigint, b: bigint): bigint {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

/** Keeps max - min within `diffMax` by dividing every priority (truncating, as Go does). */
export function rescalePriorities (pr: bigint[], diffMax: bigint): void {
  if (diffMax === 0n || pr.length === 0) return
  let max = pr[0]!
  let min = pr[0]!
  for (const p of pr) {
    if (p > max) max = p
    if (p < min) min = p
  }
  const diff = max - min
  if (diff > diffMax) {
    const ratio = (diff + diffMax - 1n) / diffMax
    for (let i = 0; i < pr.length; i++) pr[i] = pr[i]! / ratio
  }
}

/** Subtracts the floored average from every priority, as CometBFT does after each change. */
export function centrePriorities (pr: bigint[]): void {
  if (pr.length === 0) return
  const avg = floorDiv(pr.reduce((a, b) => a + b, 0n), BigInt(pr.length))
  for (let i = 0; i < pr.length; i++) pr[i] = pr[i]! - avg
}

function totalPower (members: readonly PrioritizedMember[]): bigint {
  return members.reduce((a, m) => a + m.power, 0n)
}

/**
 * One round of proposer selection over `members` (address order): the priorities after it.
 * The proposer is the member with the highest priority after adding powers (ties: lowest address).
 */
export function incrementPriorities (members: readonly PrioritizedMember[]): PrioritizedMember[] {
  const total = totalPower(members)
  const pr = members.map(m => m.priority)
  rescalePriorities(pr, WINDOW_FACTOR * total)
  centrePriorities(pr)
  for (let i = 0; i < pr.length; i++) pr[i] = pr[i]! + members[i]!.power
  let chosen = 0
  for (let i = 1; i < pr.length; i++) if (pr[i]! > pr[chosen]!) chosen = i
  pr[chosen] = pr[chosen]! - total
  return members.map((m, i) => ({ ...m, priority: pr[i]! }))
}

/**
 * Moves `prev` (with its post-increment priorities) to the membership `next`: leavers dropped,
 * stayers keep their priority at their new power, newcomers start at -1.125 x the new total so
 * that leaving and rejoining cannot buy an early turn. Result in address order.
 */
export function applyMembership (prev: readonly PrioritizedMember[], next: ReadonlyArray<{ address: Uint8Array, power: bigint }>): PrioritizedMember[] {
  const before = new Map(prev.map(m => [bareHex(m.address), m.priority]))
  const total = next.reduce((a, m) => a + m.power, 0n)
  const newcomer = -(total + (total >> 3n))
  const out = next.map(m => ({ address: m.address, power: m.power, priority: before.get(bareHex(m.address)) ?? newcomer }))
    .sort((a, b) => compareAddress(a.address, b.address))
  const pr = out.map(m => m.priority)
  rescalePriorities(pr, WINDOW_FACTOR * total)
  centrePriorities(pr)
  return out.map((m, i) => ({ ...m, priority: pr[i]! }))
}

/** True when the two memberships (address order) have the same addresses and powers. */
export function sameMembership (a: ReadonlyArray<{ address: Uint8Array, power: bigint }>, b: ReadonlyArray<{ address: Uint8Array, power: bigint }>): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.power !== b[i]!.power || compareAddress(a[i]!.address, b[i]!.address) !== 0) return false
  }
  return true
}

