/**
 * A token bucket per client: `ratePerSec` tokens refill each second up to `burst`. Buckets of idle
 * clients are dropped so that many one-off clients cannot grow the map without bound.
 */
export interface RateLimitOptions {
  ratePerSec: number
  burst: number
  maxClients: number
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (private readonly opts: RateLimitOptions, private readonly now: () => number = Date.now) {}

  /** Takes `cost` tokens for `client`; false when the client is over its rate. */
  take (client: string, cost = 1): boolean {
    const t = this.now()
    let b = this.buckets.get(client)
    if (b === undefined) {
      if (this.buckets.size >= this.opts.maxClients) this.sweep(t)
      b = { tokens: this.opts.burst, at: t }
      this.buckets.set(client, b)
    } else {
      b.tokens = Math.min(this.opts.burst, b.tokens + (t - b.at) * this.opts.ratePerSec / 1000)
      b.at = t
    }
    if (b.tokens < cost) return false
    b.tokens -= cost
    return true
  }

  private sweep (t: number): void {
    for (const [k, b] of this.buckets) {
      if (t - b.at > 60_000 || b.tokens >= this.opts.burst) this.buckets.delete(k)
    }
    if (this.buckets.size >= this.opts.maxClients) this.buckets.clear()
  }
}
