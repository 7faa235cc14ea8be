/**
 * A bounded least-recently-used cache of node KeyObjects, keyed by the raw key bytes.
 * Importing a raw key into a KeyObject (DER wrapping + OpenSSL parse) costs more than the
 * signature check itself, and a node verifies the same few hundred validator and account keys over
 * and over, so caching turns verify from import-bound into curve-bound (MISSION.md §3 table).
 */
import type { KeyObject } from 'node:crypto'
import { binaryKey } from '../codec/hex.js'

export class KeyObjectCache {
  private readonly entries = new Map<string, KeyObject>()

  constructor (readonly capacity: number) {}

  get size (): number {
    return this.entries.size
  }

  /** The cached KeyObject for `raw`, created with `create` on a miss. */
  getOrCreate (raw: Uint8Array, create: (raw: Uint8Array) => KeyObject): KeyObject {
    const id = binaryKey(raw)
    const hit = this.entries.get(id)
    if (hit !== undefined) {
      // Re-insert so Map iteration order stays least-recent first.
      this.entries.delete(id)
      this.entries.set(id, hit)
      return hit
    }
    const created = create(raw)
    this.entries.set(id, created)
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
    }
    return created
  }

  clear (): void {
    this.entries.clear()
  }
}
