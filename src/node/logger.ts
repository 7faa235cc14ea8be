/**
 * pino logs: human-readable when stdout is a terminal, JSON lines otherwise (for log shippers
 * and for the devnet launcher, which writes each node's log to a file).
 */
import { pino, type Logger } from 'pino'

export function createLogger (opts: { level?: string, name?: string, pretty?: boolean, destination?: string } = {}): Logger {
  const level = opts.level ?? process.env.FOLIO_LOG_LEVEL ?? 'info'
  const pretty = opts.pretty ?? (opts.destination == null && process.stdout.isTTY === true)
  if (pretty) {
    return pino({
      level,
      name: opts.name,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } }
    })
  }
  const dest = opts.destination != null ? pino.destination({ dest: opts.destination, sync: false, mkdir: true }) : pino.destination({ sync: false })
  return pino({ level, name: opts.name }, dest)
}

export type { Logger }
