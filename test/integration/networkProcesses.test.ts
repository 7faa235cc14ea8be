/**
 * Four validators as separate `folio start` processes on loopback (MISSION.md §5, §12): one is
 * killed with SIGKILL in the middle of consensus and restarted; it replays its WAL, catches up and
 * signs again, and no validator ever signs two different votes for one step (no node reports
 * duplicate-vote evidence). Ends with the safety check over RPC: at each height every node's block
 * hash is identical.
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { prepareDevnet } from '../../src/node/devnet.js'
import { homePaths } from '../../src/node/config.js'
import { devnetValidatorKey } from '../../src/node/devnetKeys.js'
import { writeDevnetPeerKey, devnetBootstrapAddr } from '../../src/network/index.js'
import { RpcClient } from '../../src/client/rpcClient.js'
import { toHex } from '../../src/codec/index.js'
import { FAST_CONSENSUS, FAST_NETWORK, freePort } from '../unit/network/cluster.js'

const BIN = resolve('bin/folio.js')

interface Proc {
  home: string
  rpc: RpcClient
  child: ChildProcess | null
}

async function height (p: Proc): Promise<number> {
  return (await p.rpc.call<{ height: number }>('chain_info')).height
}

/** Polls a node's RPC (a separate process: no events to wait on) until it reaches `h`. */
async function waitHeight (p: Proc, h: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const now = await height(p).catch(() => -1)
    if (now >= h) return
    if (Date.now() > deadline) throw new Error(`${p.home} at ${now}, waiting for ${h}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

function startProcess (p: Proc): void {
  p.child = spawn(process.execPath, [BIN, 'start', '--home', p.home, '--log-file', join(p.home, 'node.log')], { stdio: 'ignore' })
}

async function stopProcess (p: Proc, signal: NodeJS.Signals): Promise<void> {
  const child = p.child
  p.child = null
  if (child === null || child.exitCode !== null) return
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => { child.kill('SIGKILL') }, 5000)
    child.once('exit', () => { clearTimeout(t); resolve() })
    child.kill(signal)
  })
}

describe('network: validator processes', function () {
  this.timeout(90_000)
  let dir: string | undefined
  let procs: Proc[] = []

  afterEach(async () => {
    await Promise.all(procs.map(async p => await stopProcess(p, 'SIGTERM')))
    procs = []
    if (dir !== undefined && process.env.FOLIO_KEEP === undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('a validator killed with -9 mid-round restarts, rejoins and never double-signs', async () => {
    dir = await mkdtemp(join(tmpdir(), 'folio-procs-'))
    const { homes } = await prepareDevnet({ dir, validators: 4 })
    const ports = await Promise.all(homes.map(async () => ({ p2p: await freePort(), rpc: await freePort() })))
    for (const [i, home] of homes.entries()) {
      await writeDevnetPeerKey(home, i)
      const path = homePaths(home).config
      const config = JSON.parse(await readFile(path, 'utf8'))
      const bootstrap = await Promise.all(homes.map(async (_, j) => await devnetBootstrapAddr(j, ports[j]!.p2p)))
      config.rpc = { host: '127.0.0.1', port: ports[i]!.rpc }
      config.p2p = { listen: [`/ip4/127.0.0.1/tcp/${ports[i]!.p2p}`], bootstrap: bootstrap.filter((_, j) => j !== i), network: FAST_NETWORK }
      config.consensus = FAST_CONSENSUS
      config.logLevel = 'info'
      await writeFile(path, JSON.stringify(config))
      procs.push({ home, rpc: new RpcClient(`http://127.0.0.1:${ports[i]!.rpc}/rpc`, { timeoutMs: 2000 }), child: null })
    }
    procs.forEach(startProcess)
    await Promise.all(procs.map(async p => await waitHeight(p, 3, 40_000)))

    // SIGKILL at an arbitrary point of a height: between its votes, mid-WAL-write, wherever it is
    const victim = procs[3]!
    await stopProcess(victim, 'SIGKILL')
    const atKill = Math.max(...await Promise.all(procs.slice(0, 3).map(height)))
    await Promise.all(procs.slice(0, 3).map(async p => await waitHeight(p, atKill + 2, 20_000)))

    startProcess(victim)
    // it first catches up by block sync, then takes part in consensus again
    await waitHeight(victim, Math.max(...await Promise.all(procs.slice(0, 3).map(height))), 30_000)
    const rejoinFrom = await height(victim)
    await Promise.all(procs.map(async p => await waitHeight(p, rejoinFrom + 6, 30_000)))

    // it signs again: its precommit is in a commit decided after it came back. A commit holds the
    // precommits that arrived within the 50 ms commit delay, and a freshly restarted process on a
    // busy machine may miss a few in a row: look through heights for up to 30 s.
    const victimAddr = toHex(devnetValidatorKey(3).address)
    let signedAfter = false
    let checked = rejoinFrom
    const deadline = Date.now() + 30_000
    while (!signedAfter && Date.now() < deadline) {
      const top = Math.min(...await Promise.all(procs.map(height)))
      for (let h = checked + 1; h <= top && !signedAfter; h++) {
        const commit = await procs[0]!.rpc.call<{ signatures: Array<{ validator: string }> }>('chain_getCommit', { height: h })
        signedAfter = commit.signatures.some(s => s.validator === victimAddr)
        checked = h
      }
      if (!signedAfter) await new Promise(resolve => setTimeout(resolve, 200))
    }
    expect(signedAfter, `the restarted validator signs commits again (heights ${rejoinFrom + 1}–${checked})`).to.equal(true)
    const top = Math.min(...await Promise.all(procs.map(height)))

    // safety: every node holds the same block at every height
    for (let h = 1; h <= top; h++) {
      const hashes = new Set(await Promise.all(procs.map(async p => (await p.rpc.call<{ hash: string }>('chain_getBlock', { height: h })).hash)))
      expect(hashes.size, `height ${h}`).to.equal(1)
    }
    // no double-signing: an equivocating validator would be reported by every honest engine
    for (const p of procs) {
      const log = await readFile(join(p.home, 'node.log'), 'utf8')
      expect(log.includes('duplicate vote detected'), `${p.home} saw a duplicate vote`).to.equal(false)
    }
  })
})
