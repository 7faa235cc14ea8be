/**
 * Key files: validator consensus keys and wallets. Both are JSON, written with mode 0600.
 * A wallet holds a BIP-39 mnemonic (so it can be restored anywhere) or a raw secret key.
 */
import { readFile } from 'node:fs/promises'
import { accountFromMnemonic, accountFromSecretKey, encodeAddress, validateMnemonic, type Account } from '../crypto/index.js'
import { fromHex, toHex } from '../codec/index.js'
import { writeFileDurable } from './files.js'
import { FolioError } from '../errors.js'

export class KeyFileError extends FolioError<'MISSING' | 'INVALID'> {}

export interface WalletFile {
  address: string
  publicKey: string
  mnemonic?: string
  secretKey?: string
  /** Set on devnet wallets and keys, whose secrets are derived from public strings. */
  insecure?: boolean
}

export async function writeWallet (path: string, account: Account, extra: { mnemonic?: string, insecure?: boolean } = {}): Promise<WalletFile> {
  const file: WalletFile = {
    address: encodeAddress(account.address),
    publicKey: toHex(account.publicKey),
    ...(extra.mnemonic != null ? { mnemonic: extra.mnemonic } : { secretKey: toHex(account.secretKey) }),
    ...(extra.insecure === true ? { insecure: true } : {})
  }
  await writeFileDurable(path, JSON.stringify(file, null, 2) + '\n')
  return file
}

export async function readWallet (path: string): Promise<Account & { mnemonic?: string }> {
  let json: WalletFile
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'MISSING' : 'INVALID'
    throw new KeyFileError(code, code === 'MISSING' ? `no wallet at ${path}; create one with "folio wallet new --out ${path}"` : `${path} is not a wallet file: ${(err as Error).message}`)
  }
  try {
    if (typeof json.mnemonic === 'string') {
      if (!validateMnemonic(json.mnemonic)) throw new Error('mnemonic is not a valid BIP-39 phrase')
      return { ...accountFromMnemonic(json.mnemonic), mnemonic: json.mnemonic }
    }
    if (typeof json.secretKey === 'string') return accountFromSecretKey(fromHex(json.secretKey, 32))
    throw new Error('it holds neither "mnemonic" nor "secretKey"')
  } catch (err) {
    throw new KeyFileError('INVALID', `${path}: ${(err as Error).message}`)
  }
}
