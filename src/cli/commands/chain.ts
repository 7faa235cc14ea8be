/**
 * `folio tx transfer`, `folio account`, `folio block`.
 */
import type { Argv } from 'yargs'
import { decodeAddress, encodeAddress, x25519PublicKey, ed25519SecretToX25519 } from '../../crypto/index.js'
import { fromHex } from '../../codec/index.js'
import { readWallet } from '../../node/keys.js'
import { submit } from '../../client/tx.js'
import { client, output, wallet, parseAmount, formatFol, CliError, type GlobalArgs } from '../context.js'

function address (text: string): Uint8Array {
  try {
    return decodeAddress(text)
  } catch (err) {
    throw new CliError('USAGE', `"${text}" is not a folio address: ${(err as Error).message}`)
  }
}

export function chainCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y
    .command('tx <kind>', 'send a transaction (transfer)', (a) => a
      .positional('kind', { choices: ['transfer'] as const, demandOption: true })
      .option('to', { type: 'string', describe: 'recipient address (fol1…)' })
      .option('amount', { type: 'string', describe: 'ufol, or FOL with a suffix: 2.5fol' })
      .option('fee', { type: 'string', describe: 'fee in ufol (default: the chain minimum)' })
      .option('wait', { type: 'boolean', default: true, describe: 'wait until the transaction is committed (--no-wait to return at once)' }),
    async (argv) => {
      if (argv.to == null || argv.amount == null) throw new CliError('USAGE', 'tx transfer needs --to ADDR and --amount N')
      const acct = await wallet(argv)
      const to = address(argv.to)
      const amount = parseAmount(argv.amount)
      const sent = await submit(client(argv), acct, 'transfer', { to, amount }, { wait: argv.wait, fee: argv.fee != null ? parseAmount(argv.fee) : undefined })
      output(argv, { hash: sent.hash, height: sent.height ?? null },
        sent.height != null ? `sent ${formatFol(amount)} to ${argv.to}\n  tx ${sent.hash} committed at height ${sent.height}` : `submitted tx ${sent.hash}`)
    })
    .command('stake <action>', 'staking: create a validator, delegate or undelegate (see docs/staking.md)', (a) => a
      .positional('action', { choices: ['create', 'delegate', 'undelegate'] as const, demandOption: true })
      .option('key', { type: 'string', describe: 'create: the validator\'s consensus key file (validator_key.json written by folio init)' })
      .option('self-stake', { type: 'string', describe: 'create: stake bonded from the wallet (at least 1fol)' })
      .option('moniker', { type: 'string', describe: 'create: a name for the validator' })
      .option('validator', { type: 'string', describe: 'delegate/undelegate: the validator\'s consensus address (0x… 20 bytes, see chain_getValidators)' })
      .option('amount', { type: 'string', describe: 'delegate/undelegate: ufol, or FOL with a suffix' }),
    async (argv) => {
      const acct = await wallet(argv)
      let type: string
      let body: Record<string, unknown>
      if (argv.action === 'create') {
        if (argv.key == null || argv['self-stake'] == null) throw new CliError('USAGE', 'stake create needs --key FILE and --self-stake N')
        const consensus = await readWallet(argv.key)
        type = 'validator.create'
        body = {
          consensusKey: consensus.publicKey,
          escrowKey: x25519PublicKey(ed25519SecretToX25519(consensus.secretKey)),
          selfStake: parseAmount(argv['self-stake']),
          moniker: argv.moniker ?? ''
        }
      } else {
        if (argv.validator == null || argv.amount == null) throw new CliError('USAGE', `stake ${argv.action} needs --validator 0x… and --amount N`)
        let validator: Uint8Array
        try {
          validator = fromHex(argv.validator, 20)
        } catch (err) {
          throw new CliError('USAGE', `--validator: ${(err as Error).message}`)
        }
        type = argv.action === 'delegate' ? 'stake.delegate' : 'stake.undelegate'
        body = { validator, amount: parseAmount(argv.amount) }
      }
      const sent = await submit(client(argv), acct, type, body, { wait: argv.wait as boolean | undefined })
      output(argv, { hash: sent.hash, height: sent.height ?? null }, `${type} committed at height ${sent.height ?? '(pending)'}\n  tx ${sent.hash}`)
    })
    .command('account [address]', 'show an account (default: the wallet\'s)', (a) => a
      .positional('address', { type: 'string' }),
    async (argv) => {
      const addr = argv.address != null ? encodeAddress(address(argv.address)) : encodeAddress((await wallet(argv)).address)
      const acct = await client(argv).call('account_get', { address: addr })
      output(argv, acct, `${acct.address}\n  balance ${formatFol(acct.balance)} (${acct.balance} ufol)\n  nonce   ${acct.nonce}\n  at height ${acct.height}`)
    })
    .command('block [height]', 'show a block (default: the latest)', (a) => a
      .positional('height', { type: 'number' }),
    async (argv) => {
      const rpc = client(argv)
      const height = argv.height ?? (await rpc.call('chain_info')).height
      if (height < 1) throw new CliError('USAGE', 'no block committed yet')
      const block = await rpc.call('chain_getBlock', { height })
      output(argv, block, () => [
        `block ${block.header.height}  ${block.hash}`,
        `  time      ${new Date(block.header.time).toISOString()}`,
        `  proposer  ${block.header.proposer}`,
        `  stateRoot ${block.header.stateRoot}`,
        `  txs       ${block.txs.length}`,
        ...block.txs.slice(0, 20).map((t: any) => `    ${t.id}  ${t.type}`)
      ].join('\n'))
    })
}
