/**
 * `folio start`: runs one node in the foreground until SIGINT or SIGTERM, then shuts it down in
 * reverse order; a second signal, or a stop past its deadline, exits at once (shutdown.ts).
 * A failure to start prints one clear line and exits non-zero.
 */
import { FolioNode } from './node.js'
import { loadConfig } from './config.js'
import { createLogger } from './logger.js'
import { errorMessage } from '../errors.js'
import { shutdownHandler, SHUTDOWN_DEADLINE_MS } from './shutdown.js'

export async function runNode (home: string, opts: { logFile?: string } = {}): Promise<void> {
  const config = await loadConfig(home)
  // FOLIO_LOG_LEVEL overrides the config for one run (docs/running.md)
  const log = createLogger({ level: process.env.FOLIO_LOG_LEVEL ?? config.logLevel, name: config.name, destination: opts.logFile })
  const node = await FolioNode.create({ config, log })
  const shutdown = shutdownHandler({
    stop: async () => await node.stop(),
    pending: () => node.stoppingStep(),
    log,
    exit: (code) => process.exit(code),
    deadlineMs: SHUTDOWN_DEADLINE_MS
  })
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('unhandledRejection', (err) => {
    // a bug, not bad input: log it loudly but keep serving
    log.error({ err: errorMessage(err) }, 'unhandled rejection')
  })
  await node.start()
}
