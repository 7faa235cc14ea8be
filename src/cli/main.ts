/**
 * The `folio` command (yargs). Global options: --rpc URL, --wallet FILE, --json. With --json a
 * command prints one JSON object on stdout and nothing else; errors go to stderr with exit code 1.
 */
import yargs, { type Argv } from 'yargs'
import { errorMessage } from '../errors.js'
import { nodeCommands } from './commands/node.js'
import { walletCommands } from './commands/wallet.js'
import { chainCommands } from './commands/chain.js'
import { swarmCommands } from './commands/swarm.js'
import { feedCommands } from './commands/feed.js'
import { keyCommands } from './commands/keys.js'
import type { GlobalArgs } from './context.js'

export async function main (argv: string[]): Promise<void> {
  const json = argv.includes('--json')
  let y = yargs(argv)
    .scriptName('folio')
    .usage('$0 <command> [options]')
    .option('rpc', { type: 'string', global: true, describe: 'node JSON-RPC URL (default: the local devnet, http://127.0.0.1:26657/rpc)' })
    .option('wallet', { type: 'string', global: true, describe: 'wallet file (or set FOLIO_WALLET)' })
    .option('json', { type: 'boolean', global: true, default: false, describe: 'print one JSON object' }) as unknown as Argv<GlobalArgs>
  y = nodeCommands(y)
  y = walletCommands(y)
  y = chainCommands(y)
  y = swarmCommands(y)
  y = feedCommands(y)
  y = keyCommands(y)
  try {
    await y
      .demandCommand(1, 'give a command; see folio --help')
      .strict()
      .help()
      .fail((msg: string, err: Error | undefined) => { throw err ?? new Error(msg) })
      .parseAsync()
  } catch (err) {
    const message = errorMessage(err)
    process.stderr.write(json ? JSON.stringify({ error: message }) + '\n' : `error: ${message}\n`)
    process.exitCode = 1
  }
}
