/**
 * The writes of one block in progress, over committed state. Transactions take a checkpoint
 * before their body runs, so a failed body is reverted without touching the others' writes.
 * Nothing reaches the store until the block commits in one batch.
 */
import { type StateStore, type StateChange } from './stateStore.js'
import { binaryKey } from '../codec/hex.js'

interface JournalEntry { id: string, had: boolean, prev: StateChange | undefined }

export class StateOverlay {
  private readonly dirty = new Map<string, StateChange>()
  private journal: JournalEntry[] = []

  constructor (readonly base: StateStore) {}

  async get (key: Uint8Array): Promise<Uint8Array | undefined> {
    const d = this.dirty.get(binaryKey(key))
    if (d !== undefined) return d.value ?? undefined
    return await this.base.get(key)
  }

  async has (key: Uint8Array): Promise<boolean> {
    return (await this.get(key)) !== undefined
  }

  put (key: Uint8Array, value: Uint8Array): void {
    this.record(key, value)
  }

  del (key: Uint8Array): void {
    this.record(key, null)
  }

  private record (key: Uint8Array, value: Uint8Array | null): void {
    const id = binaryKey(key)
    this.journal.push({ id, had: this.dirty.has(id), prev: this.dirty.get(id) })
    this.dirty.set(id, { key, value })
  }

  async prefetch (keys: Uint8Array[]): Promise<void> {
    await this.base.prefetch(keys.filter(k => !this.dirty.has(binaryKey(k))))
  }

  checkpoint (): number {
    return this.journal.length
  }

  revert (checkpoint: number): void {
    while (this.journal.length > checkpoint) {
      const e = this.journal.pop() as JournalEntry
      if (e.had) this.dirty.set(e.id, e.prev as StateChange)
      else this.dirty.delete(e.id)
    }
  }

  /** Forgets the undo journal (after a block's transactions have all run). */
  seal (): void {
    this.journal = []
  }

  changes (): StateChange[] {
    return [...this.dirty.values()]
  }

  /** Read-only view of changed keys with a prefix, for indexers. */
  changesWithPrefix (prefix: Uint8Array): StateChange[] {
    return this.changes().filter(c => startsWith(c.key, prefix))
  }
}

export function startsWith (bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false
  return true
}
