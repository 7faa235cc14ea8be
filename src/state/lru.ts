/**
 * A small least-recently-used map. Map keeps insertion order, so re-inserting on access moves an
 * entry to the young end and the oldest entry is the first key.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>()

  constructor (private readonly capacity: number) {}

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
    this.map.delete(key)
    this.map.set(key, value)
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as K
      this.map.delete(oldest)
    }
  }

  delete (key: K): void {
    this.map.delete(key)
  }

  get size (): number {
    return this.map.size
  }

  clear (): void {
    this.map.clear()
  }
}
