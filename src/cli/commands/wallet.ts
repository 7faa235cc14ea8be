/**
 * `folio wallet new|show|import`.
 */
import type { Argv } from 'yargs'
import { resolve } from 'node:path'
import { existsSync } from 'node:fs'
import { generateMnemonic, accountFromMnemonic, validateMnemonic, encodeAddress } from '../../crypto/index.js'
import { toHex } from '../../codec/index.js'
import { writeWallet } from '../../node/keys.js'
import { output, wallet, walletPath, CliError, type GlobalArgs } from '../context.js'

export function walletCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y.command('wallet <action>', 'create, show or import a wallet (a BIP-39 mnemonic)', (a) => a
    .positional('action', { choices: ['new', 'show', 'import'] as const, demandOption: true })
    .option('out', { type: 'string', describe: 'wallet file to write (new, import)' })
    .option('mnemonic', { type: 'string', describe: 'the 12 or 24 words to import' })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing wallet file' }),
  async (argv) => {
    if (argv.action === 'show') {
      const acct = await wallet(argv)
      const address = encodeAddress(acct.address)
      output(argv, { address, publicKey: toHex(acct.publicKey), file: walletPath(argv) }, `${address}\n  public key ${toHex(acct.publicKey)}\n  file ${walletPath(argv)}`)
      return
    }
    if (argv.out == null) throw new CliError('USAGE', `wallet ${argv.action} needs --out FILE`)
    const out = resolve(argv.out)
    if (existsSync(out) && !argv.force) throw new CliError('USAGE', `${out} exists; pass --force to overwrite it`)
    let mnemonic: string
    if (argv.action === 'new') {
      mnemonic = generateMnemonic()
    } else {
      mnemonic = (argv.mnemonic ?? '').trim().split(/\s+/).join(' ')
      if (!validateMnemonic(mnemonic)) throw new CliError('USAGE', 'the --mnemonic words are not a valid BIP-39 phrase (check spelling and count)')
    }
    const acct = accountFromMnemonic(mnemonic)
    const file = await writeWallet(out, acct, { mnemonic })
    output(argv, { address: file.address, publicKey: file.publicKey },
      `wallet written to ${out}\n  address ${file.address}${argv.action === 'new' ? '\n  the file holds your mnemonic: keep it secret and backed up' : ''}`)
  })
}
