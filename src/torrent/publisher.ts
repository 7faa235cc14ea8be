/**
 * The creator's side of publishing a file (`folio publish`): derive the card's content key from
 * the wallet, slice and encrypt the file once to learn its layout and content root, let the caller
 * sign the `card.publish` transaction (whose hash is the card id), then stream the leaf layer and
 * the sealed slices into the creator's own node with `PUT /slices/<card>` (loopback HTTP; see
 * src/rpc/content.ts for why) — encrypting a second time rather than holding the file's
 * ciphertext in memory or on disk — and only then submit the transaction, so the card is never on
 * chain before its content is servable.
 */
import { request } from 'node:http'
import { toHex } from '../codec/index.js'
import { hkdfSha256, contentMasterFromMnemonic } from '../crypto/index.js'
import { deriveContentKey, newKeySalt } from './contentKey.js'
import { SwarmError } from './errors.js'
import { DEFAULT_SLICE_SIZE } from './layout.js'
import { commitFile, fileSource, sliceAndEncrypt, type CardLayout } from './publish.js'

/**
 * The creator's content master secret: from the wallet's mnemonic (recoverable anywhere), or for
 * a wallet holding only a secret key, derived from that key under its own label.
 */
export function contentMaster (wallet: { mnemonic?: string, secretKey: Uint8Array }): Uint8Array {
  if (wallet.mnemonic != null) return contentMasterFromMnemonic(wallet.mnemonic)
  return hkdfSha256(wallet.secretKey.subarray(0, 32), new Uint8Array(32), 'folio/content-master/secret-key/v1', 32)
}

export interface PreparedContent {
  layout: CardLayout
  key: Uint8Array
  keySalt: Uint8Array
}

/** Pass one: the layout and content root of `path` sealed under a fresh per-card key. */
export async function prepareContent (path: string, master: Uint8Array, sliceSize = DEFAULT_SLICE_SIZE): Promise<PreparedContent> {
  const keySalt = newKeySalt()
  const key = deriveContentKey(master, keySalt)
  const layout = await commitFile(path, key, sliceSize)
  return { layout, key, keySalt }
}

export interface UploadOptions {
  /** The node's HTTP base, e.g. http://127.0.0.1:26657 */
  baseUrl: string
  card: Uint8Array
  path: string
  prepared: PreparedContent
  /** Send the key to the node's key store, so it can play the card back (its own paid cards). */
  storeKey: boolean
  onProgress?: (bytes: number) => void
}

/** Pass two: stream leaves and sealed slices to `PUT /slices/<card>`; resolves with the node's reply. */
export async function uploadContent (o: UploadOptions): Promise<{ slices: number, bytes: number }> {
  const { layout, key } = o.prepared
  const url = new URL(`/slices/${toHex(o.card)}`, o.baseUrl)
  const length = 32 * layout.sliceCount + layout.size + 16 * layout.sliceCount
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'content-length': String(length),
    'x-folio-size': String(layout.size),
    'x-folio-slice-size': String(layout.sliceSize),
    'x-folio-content-root': toHex(layout.contentRoot)
  }
  if (o.storeKey) headers['x-folio-content-key'] = toHex(key)
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: any
        try { json = JSON.parse(text) } catch { json = { error: text } }
        if (res.statusCode === 200) resolve(json)
        else reject(new SwarmError('STORE_IO', `the node refused the upload (HTTP ${res.statusCode ?? '?'}): ${String(json.error ?? text)}`))
      })
    })
    req.on('error', (err) => { reject(new SwarmError('STORE_IO', `cannot upload to ${url.origin}: ${err.message}`)) })
    const write = async (): Promise<void> => {
      const leaves = Buffer.concat(layout.leafHashes)
      if (!req.write(leaves)) await new Promise(resolve => req.once('drain', resolve))
      let sent = 0
      let index = 0
      for await (const s of sliceAndEncrypt(fileSource(o.path, layout.sliceSize), key, layout.sliceSize)) {
        // The file must not change between the passes: a different slice would fail on the node.
        if (Buffer.compare(s.leafHash, layout.leafHashes[index]!) !== 0) throw new SwarmError('SLICE_MISMATCH', `${o.path} changed while it was being published (slice ${index})`)
        index++
        sent += s.ciphertext.length
        if (!req.write(s.ciphertext)) await new Promise(resolve => req.once('drain', resolve))
        o.onProgress?.(sent)
      }
      req.end()
    }
    write().catch((err) => { req.destroy(); reject(err) })
  })
}
