/**
 * `folio tx transfer`, `folio account`, `folio block`.
 */
import type { Argv } from 'yargs'
import { decodeAddress, encodeAddress } from '../../crypto/index.js'
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
