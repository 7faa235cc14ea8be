/**
 * `folio init`, `folio start` and `folio devnet [stop|status]`.
 */
import type { Argv } from 'yargs'
import { resolve, join } from 'node:path'
import { existsSync } from 'node:fs'
import { ed25519Generate, accountFromSecretKey, generateMnemonic, accountFromMnemonic, encodeAddress, x25519PublicKey, ed25519SecretToX25519 } from '../../crypto/index.js'
import { DEFAULT_PARAMS, genesisToJSON } from '../../state/index.js'
import { defaultConfig, configToJSON, homePaths } from '../../node/config.js'
import { writeWallet } from '../../node/keys.js'
import { writeJson } from '../../node/files.js'
import { runNode } from '../../node/main.js'
import { startDevnet, stopDevnet, devnetStatus, devnetFilePath, isAlive } from '../../node/devnet.js'
import { output, CliError, type GlobalArgs } from '../context.js'

export function nodeCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y
    .command('init', 'write a node home: config, a validator key and a one-validator genesis with a funded wallet',
      (a) => a
        .option('home', { type: 'string', default: '.folio', describe: 'node home folder' })
        .option('chain-id', { type: 'string', default: 'folio-local-1', describe: 'chain id of the new genesis' }),
      async (argv) => {
        const home = resolve(argv.home)
        const paths = homePaths(home)
        if (existsSync(paths.config)) throw new CliError('USAGE', `${paths.config} exists already; choose another --home`)
        const key = accountFromSecretKey(ed25519Generate().secretKey)
        const mnemonic = generateMnemonic()
        const operator = accountFromMnemonic(mnemonic)
        await writeWallet(paths.validatorKey, key)
        const walletFile = join(home, 'wallet.json')
        await writeWallet(walletFile, operator, { mnemonic })
        await writeJson(paths.genesis, genesisToJSON({
          chainId: argv['chain-id'],
          genesisTime: Date.now(),
          params: { ...DEFAULT_PARAMS },
          accounts: [{ address: operator.address, balance: 1_000_000_000n * 1_000_000n }],
          validators: [{ name: 'node0', publicKey: key.publicKey, operator: operator.address, power: 100n, escrowKey: x25519PublicKey(ed25519SecretToX25519(key.secretKey)) }]
        }))
        await writeJson(paths.config, configToJSON(defaultConfig(home)))
        output(argv, { home, wallet: walletFile, address: encodeAddress(operator.address) },
          `initialised ${home}\n  wallet ${walletFile} (${encodeAddress(operator.address)}, funded)\n  start it with: folio start --home ${argv.home}`)
      })
    .command('start', 'run a node in the foreground', (a) => a
      .option('home', { type: 'string', default: '.folio', describe: 'node home folder' })
      .option('log-file', { type: 'string', describe: 'write JSON logs to this file instead of stdout' }),
    async (argv) => {
      await runNode(resolve(argv.home), { logFile: argv['log-file'] })
      await new Promise(() => {}) // runs until a signal
    })
    .command('devnet [action]', 'start a local devnet of N validators (or: devnet stop, devnet status)', (a) => a
      .positional('action', { choices: ['start', 'stop', 'status'] as const, default: 'start' as const })
      .option('validators', { type: 'number', default: 4, describe: 'number of validator processes' })
      .option('dir', { type: 'string', default: '.devnet', describe: 'devnet folder (devnet.json, node homes, faucet wallet)' })
      .option('reset', { type: 'boolean', default: false, describe: 'wipe chain data before starting' })
      .option('detach', { type: 'boolean', default: false, describe: 'leave the nodes running and return' })
      .option('base-port', { type: 'number', default: 26656, describe: 'node i listens on p2p base+10·i and RPC base+1+10·i' }),
    async (argv) => {
      const dir = resolve(argv.dir)
      if (argv.action === 'stop') {
        const stopped = await stopDevnet(dir)
        output(argv, { stopped: stopped.map(n => n.name) }, stopped.length > 0 ? `stopped ${stopped.map(n => n.name).join(', ')}` : 'no devnet node was running')
        return
      }
      if (argv.action === 'status') {
        const nodes = await devnetStatus(dir)
        output(argv, { nodes }, nodes.map(n => `${n.name.padEnd(6)} ${n.alive ? 'up  ' : 'down'} height ${n.height ?? '-'}  ${n.rpc}${n.error != null ? '  ' + n.error : ''}`).join('\n'))
        return
      }
      const n = argv.validators
      if (!Number.isInteger(n) || n < 1 || n > 16) throw new CliError('USAGE', '--validators must be an integer from 1 to 16')
      if (argv.json !== true) process.stdout.write(`starting a devnet of ${n} validator${n > 1 ? 's' : ''} in ${dir} …\n`)
      const file = await startDevnet({ dir, validators: n, reset: argv.reset, basePort: argv['base-port'] })
      output(argv, file, () => [
        `devnet ${file.chainId} is up (${devnetFilePath(dir)})`,
        ...file.nodes.map(node => `  ${node.name}  rpc ${node.rpc}  p2p ${node.p2p}  pid ${node.pid}  log ${join(node.dataDir, '..', 'node.log')}`),
        `  funded wallet: ${file.faucetWallet}  (INSECURE devnet key)`,
        '',
        'try:',
        `  npx folio account --wallet ${file.faucetWallet}`,
        `  npx folio wallet new --out me.json`,
        `  npx folio tx transfer --wallet ${file.faucetWallet} --to <address from me.json> --amount 5fol`,
        '',
        argv.detach ? 'the nodes keep running; stop them with: npx folio devnet stop' : 'press Ctrl-C to stop the devnet'
      ].join('\n'))
      if (argv.detach) return
      await new Promise<void>((resolve) => {
        // the watch also keeps this process alive (signal listeners alone do not) and says so
        // when a node dies, instead of leaving a devnet that silently lost a validator
        const reported = new Set<number>()
        const watch = setInterval(() => {
          for (const n of file.nodes) {
            if (!reported.has(n.pid) && !isAlive(n.pid)) {
              reported.add(n.pid)
              process.stderr.write(`${n.name} (pid ${n.pid}) exited; its log is ${join(n.dataDir, '..', 'node.log')}\n`)
            }
          }
          // stopped from elsewhere (`folio devnet stop`): nothing is left to keep in the foreground
          if (reported.size === file.nodes.length) {
            clearInterval(watch)
            process.stdout.write('every node has exited: the devnet is stopped\n')
            resolve()
          }
        }, 2000)
        const stop = (): void => {
          clearInterval(watch)
          process.stdout.write('\nstopping the devnet …\n')
          stopDevnet(dir).then(() => resolve(), () => resolve())
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    })
}
