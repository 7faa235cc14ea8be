/**
 * The consensus messages of the heights being decided (own and received), kept so that a peer
 * that missed them can ask for them. Gossip delivers each message once; a validator that restarts
 * or reconnects mid-height would otherwise never see the prevotes others cast before it came back,
 * and with exactly 2/3 online nobody's threshold is ever reached (CometBFT re-sends votes to
 * lagging peers for the same reason). Bounded: only heights ≥ head + 1, and a cap per height.
 */
import { toHex } from '../codec/index.js'
import { sha256 } from '../crypto/index.js'

export type RecentKind = 'vote' | 'proposal'

export interface RecentMessage {
  kind: RecentKind
  /** Wire bytes, exactly as gossiped. */
  data: Uint8Array
}

export class RecentMessages {
  private readonly byHeight = new Map<number, Map<string, RecentMessage>>()

  constructor (private readonly maxPerHeight = 4096) {}

  add (height: number, kind: RecentKind, data: Uint8Array): void {
    let m = this.byHeight.get(height)
    if (m === undefined) {
      m = new Map()
      this.byHeight.set(height, m)
    }
    if (m.size >= this.maxPerHeight) return
    m.set(toHex(sha256(data)), { kind, data })
  }

  get (height: number): RecentMessage[] {
    return [...(this.byHeight.get(height)?.values() ?? [])]
  }

  /** Drops heights that are committed (≤ head). */
  prune (head: number): void {
    for (const h of this.byHeight.keys()) if (h <= head) this.byHeight.delete(h)
  }
}
