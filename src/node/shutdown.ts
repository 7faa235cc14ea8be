/**
 * How `folio start` ends: the first SIGINT or SIGTERM stops the node in order; a second one, or a
 * stop that outlasts the deadline, exits at once with status 1 and says so. An operator (or
 * systemd, or `folio devnet stop`) never waits on a shutdown that hangs, and the log names what
 * was still running. A kill -9 at any moment is safe anyway (the WAL and the atomic block batch),
 * so exiting early costs only a clean close.
 */
export interface ShutdownLog {
  info: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
  flush?: () => void
}

export interface ShutdownDeps {
  /** Stops the node; `pending` names the step still running, for the log. */
  stop: () => Promise<void>
  pending?: () => string | undefined
  log: ShutdownLog
  exit: (code: number) => void
  deadlineMs: number
}

/** A stop that takes longer than this is abandoned (the consensus WAL and the store are crash-safe). */
export const SHUTDOWN_DEADLINE_MS = 15_000

/** Returns the signal handler: call it with the signal's name. */
export function shutdownHandler (deps: ShutdownDeps): (signal: string) => void {
  let started = false
  let done = false
  const finish = (code: number): void => {
    if (done) return
    done = true
    deps.log.flush?.()
    deps.exit(code)
  }
  return (signal) => {
    if (done) return
    if (started) {
      deps.log.error({ signal, pending: deps.pending?.() }, 'second signal during shutdown: exiting now')
      finish(1)
      return
    }
    started = true
    deps.log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      deps.log.error({ ms: deps.deadlineMs, pending: deps.pending?.() }, 'shutdown did not finish in time: exiting now')
      finish(1)
    }, deps.deadlineMs)
    timer.unref()
    deps.stop().then(() => {
      clearTimeout(timer)
      finish(0)
    }, (err) => {
      clearTimeout(timer)
      deps.log.error({ err }, 'shutdown failed')
      finish(1)
    })
  }
}
