/**
 * Misbehaviour bookkeeping outside gossipsub: penalty points for block-sync offences (invalid
 * blocks, protocol violations, unserved claims, timeouts) and bans. The points feed gossipsub's
 * application-specific score, so one number ranks a peer everywhere; at `banPenalty` the peer is
 * disconnected and refused for `banMs`. Points halve every `halfLifeMs`, so honest peers with an
 * occasional timeout never accumulate a ban.
 */
export interface PeerBookOptions {
  banPenalty: number
  banMs: number
  halfLifeMs?: number
  now?: () => number
}

interface Entry {
  points: number
  at: number
}

export class PeerBook {
  private readonly penalties = new Map<string, Entry>()
  private readonly bans = new Map<string, number>()
  private readonly now: () => number
  private readonly halfLifeMs: number

  constructor (private readonly opts: PeerBookOptions) {
    this.now = opts.now ?? Date.now
    this.halfLifeMs = opts.halfLifeMs ?? 60_000
  }

  /** Current penalty points of a peer, decayed to now. */
  penalty (peer: string): number {
    const e = this.penalties.get(peer)
    if (e === undefined) return 0
    return e.points * Math.pow(0.5, (this.now() - e.at) / this.halfLifeMs)
  }

  /** Adds points; returns true when the peer has just reached the ban threshold. */
  penalize (peer: string, points: number): boolean {
    const total = this.penalty(peer) + points
    this.penalties.set(peer, { points: total, at: this.now() })
    if (total >= this.opts.banPenalty) {
      this.ban(peer)
      return true
    }
    return false
  }

  ban (peer: string): void {
    this.bans.set(peer, this.now() + this.opts.banMs)
  }

  isBanned (peer: string): boolean {
    const until = this.bans.get(peer)
    if (until === undefined) return false
    if (until > this.now()) return true
    this.bans.delete(peer)
    this.penalties.delete(peer)
    return false
  }
}
