/**
 * A small least-recently-used map. Map keeps insertion order, so re-inserting on access moves an
 * entry to the young end and the oldest entry is the first key. Bounded by entries and, when given
 * a weigher, by total weight (bytes): an entry count alone does not bound memory when values vary
 * from a few bytes to 64 KiB (a card record with its preview).
 */
export interface LruOptions<K, V> {
  maxWeight?: number
  weigh?: (key: K, value: V) => number
}

export class LruMap<K, V> {
  private readonly map = new Map<K, V>()
  private total = 0

  constructor (private readonly capacity: number, private readonly opts: LruOptions<K, V> = {}) {}

  get (key: K): V | undefined {
    const v = this.map.get(key)
    if (v === undefined && !this.map.has(key)) return undefined
    this.map.delete(key)
    this.map.set(key, v as V)
    return v
  }

  has (key: K): boolean {
    return this.map.has(key)
  }

  set (key: K, value: V): void {
    this.delete(key)
    this.map.set(key, value)
    this.total += this.weightOf(key, value)
    const maxWeight = this.opts.maxWeight ?? Infinity
    while (this.map.size > this.capacity || (this.total > maxWeight && this.map.size > 0)) {
      this.delete(this.map.keys().next().value as K)
    }
  }

  delete (key: K): void {
    if (!this.map.has(key)) return
    this.total -= this.weightOf(key, this.map.get(key) as V)
    this.map.delete(key)
  }

  get size (): number {
    return this.map.size
  }

  /** Total weight of the entries (0 without a weigher). */
  get weight (): number {
    return this.total
  }

  clear (): void {
    this.map.clear()
    this.total = 0
  }

  private weightOf (key: K, value: V): number {
    return this.opts.weigh === undefined ? 0 : this.opts.weigh(key, value)
  }
}
