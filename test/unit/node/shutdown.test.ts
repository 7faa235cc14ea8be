import { expect } from 'chai'
import { shutdownHandler, type ShutdownDeps } from '../../../src/node/shutdown.js'

interface Logged { level: 'info' | 'error', obj: any, msg: string }

function harness (stop: () => Promise<void>, deadlineMs = 50): { handle: (s: string) => void, exits: number[], logged: Logged[], exited: Promise<number> } {
  const exits: number[] = []
  const logged: Logged[] = []
  let resolveExit: (code: number) => void = () => {}
  const exited = new Promise<number>(resolve => { resolveExit = resolve })
  const deps: ShutdownDeps = {
    stop,
    pending: () => 'module feed',
    log: {
      info: (obj, msg) => { logged.push({ level: 'info', obj, msg }) },
      error: (obj, msg) => { logged.push({ level: 'error', obj, msg }) }
    },
    exit: (code) => { exits.push(code); resolveExit(code) },
    deadlineMs
  }
  return { handle: shutdownHandler(deps), exits, logged, exited }
}

const never = async (): Promise<void> => await new Promise(() => {})

describe('node shutdown on signals', () => {
  it('exits 0 once the node has stopped', async () => {
    const h = harness(async () => {})
    h.handle('SIGTERM')
    expect(await h.exited).to.equal(0)
    expect(h.logged.map(l => l.msg)).to.deep.equal(['shutting down'])
  })

  it('exits 1 when the stop outlasts the deadline, naming the step still running', async () => {
    const h = harness(never, 30)
    h.handle('SIGTERM')
    expect(await h.exited).to.equal(1)
    const err = h.logged.find(l => l.level === 'error')
    expect(err?.msg).to.match(/did not finish in time/)
    expect(err?.obj.pending).to.equal('module feed')
  })

  it('exits 1 at once on a second signal, and only once', async () => {
    const h = harness(never, 60_000)
    h.handle('SIGINT')
    expect(h.exits).to.deep.equal([])
    h.handle('SIGINT')
    h.handle('SIGTERM')
    expect(h.exits).to.deep.equal([1])
    expect(h.logged.filter(l => l.level === 'error').map(l => l.msg)).to.deep.equal(['second signal during shutdown: exiting now'])
  })

  it('exits 1 when the stop fails', async () => {
    const h = harness(async () => { throw new Error('disk gone') })
    h.handle('SIGTERM')
    expect(await h.exited).to.equal(1)
    expect(h.logged.some(l => l.msg === 'shutdown failed')).to.equal(true)
  })
})
