/**
 * kill -9 at random moments during a stream of transfers (MISSION.md §12): after every restart
 * the node resumes from its last committed block, every transaction it had reported committed is
 * still committed, the database opens cleanly, and the state root equals a from-genesis replay.
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { prepareDevnet } from '../../src/node/devnet.js'
import { homePaths } from '../../src/node/config.js'
import { devnetFaucetKey, devnetGenesis } from '../../src/node/devnetKeys.js'
import { RpcClient } from '../../src/client/rpcClient.js'
import { buildTx, fetchParams } from '../../src/client/tx.js'
import { encodeTx } from '../../src/blocks/index.js'
import { toHex } from '../../src/codec/index.js'
import { encodeAddress, ed25519Generate, accountFromSecretKey } from '../../src/crypto/index.js'
import { Chain, LevelStore, MemoryStore } from '../../src/state/index.js'
import { waitFor } from '../helpers/node.js'

const BIN = resolve('bin/folio.js')
const CYCLES = Number(process.env.FOLIO_CRASH_CYCLES ?? 20)

function startProcess (home: string): ChildProcess {
  return spawn(process.execPath, [BIN, 'start', '--home', home, '--log-file', join(home, 'node.log')], { stdio: 'ignore' })
}

async function killHard (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

describe('integration: kill -9 during a stream of transfers', function () {
  this.timeout(240_000)
  let dir: string
  let child: ChildProcess | undefined

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'folio-crash-')) })
  after(async () => {
    if (child !== undefined) await killHard(child)
    await rm(dir, { recursive: true, force: true })
  })

  it(`resumes cleanly after ${CYCLES} hard kills, losing no committed transaction`, async () => {
    const basePort = 31000 + Math.floor(Math.random() * 2000) * 10
    const { homes } = await prepareDevnet({ dir, validators: 1, basePort, consensus: { minBlockInterval: 100, proposeBase: 100 } })
    const home = homes[0]
    const rpc = new RpcClient(`http://127.0.0.1:${basePort + 1}/rpc`, { timeoutMs: 3000 })
    const faucet = devnetFaucetKey()
    const recipient = accountFromSecretKey(ed25519Generate().secretKey)
    const confirmed: Array<{ hash: string, height: number }> = []
    let lastHeight = 0
    let killedWithPending = 0

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      child = startProcess(home)
      const info = await waitFor(async () => await rpc.call('chain_info'), 20_000, `node start (cycle ${cycle})`)
      // resumes from the last committed block: never behind what it reported before the kill
      expect(info.height, `cycle ${cycle}: height after restart`).to.be.at.least(lastHeight)
      for (const c of confirmed) {
        const got = await rpc.call('tx_get', { hash: c.hash })
        expect(got.height, `cycle ${cycle}: tx ${c.hash} lost`).to.equal(c.height)
      }

      const params = await fetchParams(rpc)
      const acct = await rpc.call('account_get', { address: encodeAddress(faucet.address) })
      let nonce = BigInt(acct.pendingNonce)
      const sent: string[] = []
      const streamFor = 150 + Math.floor(Math.random() * 900)
      const until = Date.now() + streamFor
      while (Date.now() < until) {
        const tx = buildTx(faucet, params, 'transfer', { to: recipient.address, amount: 1n }, nonce)
        try {
          const { hash } = await rpc.call('tx_send', { tx: toHex(encodeTx(tx)) })
          sent.push(hash)
          nonce++
        } catch {
          break
        }
      }
      for (const hash of sent) {
        const got = await rpc.call('tx_get', { hash }).catch(() => undefined)
        if (got?.height != null) confirmed.push({ hash, height: got.height })
        else killedWithPending++
      }
      lastHeight = (await rpc.call('chain_info')).height
      await killHard(child)
      child = undefined
    }

    // final restart, then a clean stop, then a from-genesis replay of the stored blocks
    child = startProcess(home)
    const final = await waitFor(async () => await rpc.call('chain_info'), 20_000, 'final start')
    expect(final.height).to.be.at.least(lastHeight)
    child.kill('SIGTERM')
    await new Promise(resolve => child?.once('exit', resolve))
    child = undefined

    expect(confirmed.length, 'transactions confirmed across cycles').to.be.greaterThan(CYCLES)
    const store = await LevelStore.open(homePaths(home).data)
    try {
      const stored = await Chain.open(store, devnetGenesis(1))
      const head = stored.head()
      const replay = await Chain.open(new MemoryStore(), devnetGenesis(1))
      for (let h = 1; h <= head.height; h++) {
        const block = await stored.blocks.block(h)
        expect(block, `block ${h}`).to.not.equal(undefined)
        await replay.commit(block!, null)
      }
      expect(toHex(replay.head().stateRoot)).to.equal(toHex(head.stateRoot))
      expect(toHex(replay.head().hash)).to.equal(toHex(head.hash))
    } finally {
      await store.close()
    }
    const log = await readFile(join(home, 'node.log'), 'utf8')
    expect(log).to.not.match(/"level":60/) // no fatal
    void killedWithPending
  })
})
