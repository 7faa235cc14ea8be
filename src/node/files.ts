/**
 * Durable files for consensus: the write-ahead log (append + fsync, truncate a torn tail) and the
 * last-signed guard (write a temporary file, fsync, rename, fsync the folder — so a crash leaves
 * either the old record or the new one, never half of one).
 */
import { open, readFile, rename, mkdir, writeFile, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'

export class WalFile {
  private constructor (private readonly path: string, private fh: FileHandle) {}

  static async open (path: string): Promise<WalFile> {
    await mkdir(dirname(path), { recursive: true })
    const fh = await open(path, 'a+')
    return new WalFile(path, fh)
  }

  async append (bytes: Uint8Array): Promise<void> {
    await this.fh.appendFile(bytes)
  }

  async sync (): Promise<void> {
    await this.fh.datasync()
  }

  async readAll (): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.path))
  }

  async truncate (length: number): Promise<void> {
    await this.fh.truncate(length)
    await this.fh.sync()
  }

  /** Starts a new, empty log (after a height commits, its records are no longer needed). */
  async reset (): Promise<void> {
    await this.fh.truncate(0)
    await this.fh.sync()
  }

  async close (): Promise<void> {
    await this.fh.close()
  }
}

export async function writeFileDurable (path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

export async function readFileIfExists (path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

export async function writeJson (path: string, value: unknown, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, JSON.stringify(value, null, 2) + '\n', { mode })
}
