/**
 * The key-value storage interface the state machine, the block store and the indexes run over.
 * The node injects LevelDB (classic-level); unit tests inject the in-memory store. Keys and values
 * are bytes; iteration is in unsigned byte order, as LevelDB's.
 */
import { ClassicLevel } from 'classic-level'

export type BatchOp =
  | { type: 'put', key: Uint8Array, value: Uint8Array }
  | { type: 'del', key: Uint8Array }

export interface RangeOptions {
  gt?: Uint8Array
  gte?: Uint8Array
  lt?: Uint8Array
  lte?: Uint8Array
  reverse?: boolean
  limit?: number
}

export interface KVStore {
  get (key: Uint8Array): Promise<Uint8Array | undefined>
  getMany (keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>>
  /** Applies every op or none. */
  batch (ops: BatchOp[]): Promise<void>
  iterate (range: RangeOptions): AsyncIterable<[Uint8Array, Uint8Array]>
  /** The keys of a range, read in one go: for bounded scans (set `limit`) that want no values. */
  keys (range: RangeOptions): Promise<Uint8Array[]>
  close (): Promise<void>
}

export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

function inRange (key: Uint8Array, r: RangeOptions): boolean {
  if (r.gt != null && compareBytes(key, r.gt) <= 0) return false
  if (r.gte != null && compareBytes(key, r.gte) < 0) return false
  if (r.lt != null && compareBytes(key, r.lt) >= 0) return false
  if (r.lte != null && compareBytes(key, r.lte) > 0) return false
  return true
}

/** In-memory store for unit tests of pure logic. */
export class MemoryStore implements KVStore {
  private readonly map = new Map<string, [Uint8Array, Uint8Array]>()

  async get (key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.map.get(Buffer.from(key).toString('hex'))?.[1]
  }

  async getMany (keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    return keys.map(k => this.map.get(Buffer.from(k).toString('hex'))?.[1])
  }

  async batch (ops: BatchOp[]): Promise<void> {
    for (const op of ops) {
      const id = Buffer.from(op.key).toString('hex')
      if (op.type === 'put') this.map.set(id, [Uint8Array.from(op.key), Uint8Array.from(op.value)])
      else this.map.delete(id)
    }
  }

  async * iterate (range: RangeOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    const entries = [...this.map.values()].filter(([k]) => inRange(k, range))
    entries.sort((a, b) => compareBytes(a[0], b[0]))
    if (range.reverse === true) entries.reverse()
    const limit = range.limit ?? Infinity
    let n = 0
    for (const entry of entries) {
      if (n++ >= limit) return
      yield entry
    }
  }

  async keys (range: RangeOptions): Promise<Uint8Array[]> {
    const out: Uint8Array[] = []
    for await (const [k] of this.iterate(range)) out.push(k)
    return out
  }

  get size (): number {
    return this.map.size
  }

  async close (): Promise<void> {}
}

/** LevelDB settings the node opens its stores with (classic-level's names). */
export interface LevelOptions {
  /** Bytes of LevelDB's block cache (uncompressed blocks read from compressed tables). */
  cacheSize?: number
  /** Files LevelDB keeps open: table files beyond it are closed, least recently used first. */
  maxOpenFiles?: number
}

/**
 * LevelDB maps every open table file into memory and reads through the mapping, so each page a
 * read touches (and the kernel's fault-around, up to 64 KiB, maps next to it) stays in the
 * process's RSS for as long as the table stays open. Closing a table unmaps it, so the number of
 * open files bounds that memory: 74 is the least LevelDB accepts (64 tables and 10 other files),
 * at most 64 × 2 MiB mapped. Measured on the feed bench (100k cards, docs/benchmarks.md): mapped
 * table pages 103 MB with classic-level's 1,000, 97 with 128 and 60 with 74, at no measurable cost
 * in query latency.
 */
export const LEVEL_DEFAULTS: Required<LevelOptions> = { cacheSize: 8 * 2 ** 20, maxOpenFiles: 74 }

/** LevelDB through classic-level. */
export class LevelStore implements KVStore {
  private constructor (private readonly db: ClassicLevel<Uint8Array, Uint8Array>) {}

  static async open (path: string, options: LevelOptions = {}): Promise<LevelStore> {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { ...LEVEL_DEFAULTS, ...options, keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    return new LevelStore(db)
  }

  async get (key: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.db.get(key)) ?? undefined
  }

  async getMany (keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    if (keys.length === 0) return []
    return (await this.db.getMany(keys)).map(v => v ?? undefined)
  }

  async batch (ops: BatchOp[]): Promise<void> {
    if (ops.length === 0) return
    await this.db.batch(ops as any)
  }

  async * iterate (range: RangeOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    const opts: Record<string, unknown> = { ...range }
    if (range.limit == null) delete opts.limit
    for await (const [k, v] of this.db.iterator(opts)) yield [k, v]
  }

  async keys (range: RangeOptions): Promise<Uint8Array[]> {
    // all() reads up to 1,000 keys per trip to the native side; `for await` would take two
    // trips for the first key and the rest, which is most of the cost of a short posting read
    const opts: Record<string, unknown> = { ...range }
    if (range.limit == null) delete opts.limit
    return await this.db.keys(opts).all()
  }

  async close (): Promise<void> {
    await this.db.close()
  }
}
