/**
 * `folio start`: runs one node in the foreground until SIGINT or SIGTERM, then shuts it down in
 * reverse order. A failure to start prints one clear line and exits non-zero.
 */
import { FolioNode } from './node.js'
import { loadConfig } from './config.js'
import { createLogger } from './logger.js'
import { errorMessage } from '../errors.js'

export async function runNode (home: string, opts: { logFile?: string } = {}): Promise<void> {
  const config = await loadConfig(home)
  // FOLIO_LOG_LEVEL overrides the config for one run (docs/running.md)
  const log = createLogger({ level: process.env.FOLIO_LOG_LEVEL ?? config.logLevel, name: config.name, destination: opts.logFile })
  const node = await FolioNode.create({ config, log })
  let exiting = false
  const shutdown = (signal: string): void => {
    if (exiting) return
    exiting = true
    log.info({ signal }, 'shutting down')
    node.stop().then(() => { log.flush?.(); process.exit(0) }, (err) => {
      log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('unhandledRejection', (err) => {
    // a bug, not bad input: log it loudly but keep serving
    log.error({ err: errorMessage(err) }, 'unhandled rejection')
  })
  await node.start()
}
