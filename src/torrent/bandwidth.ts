/**
 * The upload budget (`--seed-upload-rate`): a token bucket over bytes, fed the time as a number so
 * that the exchange service stays testable. A seeder asks before sending each slice; when the
 * bucket is empty it answers with the wait, and the service holds the slice (back-pressure on the
 * requester's pipeline) instead of dropping it.
 */
import { SwarmError } from './errors.js'

export class UploadBudget {
  private tokens: number
  private last: number

  /**
   * @param bytesPerSecond sustained upload rate; 0 means unlimited
   * @param burstBytes how much may go out at once after a quiet spell (at least one slice)
   */
  constructor (readonly bytesPerSecond: number, readonly burstBytes: number, now: number) {
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0 || !Number.isFinite(burstBytes) || burstBytes <= 0) {
      throw new SwarmError('BAD_LAYOUT', 'the upload budget needs a non-negative rate and a positive burst')
    }
    this.tokens = burstBytes
    this.last = now
  }

  private refill (now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burstBytes, this.tokens + (now - this.last) * this.bytesPerSecond / 1000)
      this.last = now
    }
  }

  /**
   * Takes `bytes` if the budget allows and returns 0; otherwise takes nothing and returns the
   * milliseconds to wait before the same call would succeed.
   */
  take (bytes: number, now: number): number {
    if (this.bytesPerSecond === 0) return 0
    if (bytes > this.burstBytes) {
      throw new SwarmError('OVER_BUDGET', `a ${bytes}-byte send can never fit a ${this.burstBytes}-byte burst`)
    }
    this.refill(now)
    if (this.tokens >= bytes) {
      this.tokens -= bytes
      return 0
    }
    return Math.ceil((bytes - this.tokens) * 1000 / this.bytesPerSecond)
  }

  available (now: number): number {
    this.refill(now)
    return this.bytesPerSecond === 0 ? Infinity : Math.floor(this.tokens)
  }
}
