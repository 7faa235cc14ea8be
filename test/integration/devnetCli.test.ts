/**
 * `folio devnet` as a newcomer runs it: it starts validator processes, writes the scripting
 * contract's devnet.json, answers `devnet status`, stays in the foreground, and Ctrl-C (SIGINT)
 * stops every node it started.
 */
import { expect } from 'chai'
import { spawn, execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtemp, rm, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { waitFor } from '../helpers/node.js'
import { isAlive } from '../../src/node/devnet.js'

const run = promisify(execFile)
const BIN = resolve('bin/folio.js')

describe('integration: folio devnet', function () {
  this.timeout(90_000)
  let dir: string

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'folio-devnet-')) })
  after(async () => {
    await run(process.execPath, [BIN, 'devnet', 'stop', '--dir', dir]).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })

  it('starts, describes itself in devnet.json, and stops every node on Ctrl-C', async () => {
    const basePort = 41000 + Math.floor(Math.random() * 400) * 10
    const launcher = spawn(process.execPath, [BIN, 'devnet', '--validators', '2', '--dir', dir, '--base-port', String(basePort)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    launcher.stdout.on('data', (d) => { out += String(d) })
    await waitFor(async () => out.includes('press Ctrl-C'), 60_000, 'the devnet to come up')

    const file = JSON.parse(await readFile(join(dir, 'devnet.json'), 'utf8'))
    expect(file.chainId).to.equal('folio-devnet-1')
    expect(file.faucetWallet).to.equal(join(dir, 'faucet.json'))
    expect(file.nodes).to.have.length(2)
    expect(file.nodes[0]).to.have.all.keys('name', 'rpc', 'p2p', 'pid', 'dataDir')
    expect(file.nodes[0].rpc).to.equal(`http://127.0.0.1:${basePort + 1}/rpc`)

    const { stdout } = await run(process.execPath, [BIN, 'devnet', 'status', '--dir', dir, '--json'])
    const status = JSON.parse(stdout)
    expect(status.nodes.every((n: any) => n.alive === true && n.height >= 1)).to.equal(true)
    expect(launcher.exitCode, 'the launcher stays in the foreground').to.equal(null)

    launcher.kill('SIGINT')
    await new Promise(resolve => launcher.once('exit', resolve))
    for (const n of file.nodes) expect(isAlive(n.pid), `${n.name} still running`).to.equal(false)
  })

  it('leaves the foreground by itself when `folio devnet stop` stopped every node', async () => {
    const basePort = 45000 + Math.floor(Math.random() * 400) * 10
    const launcher = spawn(process.execPath, [BIN, 'devnet', '--validators', '1', '--dir', dir, '--base-port', String(basePort), '--reset'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    launcher.stdout.on('data', (d) => { out += String(d) })
    const exited = new Promise<number | null>(resolve => launcher.once('exit', resolve))
    try {
      await waitFor(async () => out.includes('press Ctrl-C'), 60_000, 'the devnet to come up')
      await run(process.execPath, [BIN, 'devnet', 'stop', '--dir', dir])
      const code = await Promise.race([exited, new Promise(resolve => setTimeout(() => resolve('still running'), 10_000))])
      expect(code, 'the launcher after every node stopped').to.equal(0)
      expect(out).to.include('every node has exited')
    } finally {
      if (launcher.exitCode === null) launcher.kill('SIGKILL')
    }
  })
})
