import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { feedModule } from '../../src/node/feedModule.js'
import { devnetFaucetKey } from '../../src/node/devnetKeys.js'
import { writeWallet } from '../../src/node/keys.js'
import { writeJson } from '../../src/node/files.js'
import { genesisToJSON } from '../../src/state/index.js'
import { devnetGenesis } from '../../src/node/devnetKeys.js'
import { encodeAddress } from '../../src/crypto/index.js'

const run = promisify(execFile)

async function folio (...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, ['bin/folio.js', ...args, '--json'], { cwd: process.cwd(), timeout: 30_000 })
  return JSON.parse(stdout)
}

describe('integration: feed CLI (scripting contract)', function () {
  this.timeout(90_000)
  let t: TestNode
  let walletFile: string
  const faucet = devnetFaucetKey()

  before(async () => {
    t = await startTestNode({ modules: [feedModule] })
    walletFile = join(t.home, 'faucet.json')
    await writeWallet(walletFile, faucet, { insecure: true })
  })
  after(async () => { await t?.stop() })

  it('posts, reads the feed and a card, reacts, then rebuilds the index of the stopped node', async () => {
    const rpc = ['--rpc', t.url, '--wallet', walletFile]
    const posted = await folio('post', 'hello from the cli', '--tag', 'cli', ...rpc)
    expect(posted).to.have.keys('card', 'hash', 'height')
    expect(posted.card).to.match(/^0x[0-9a-f]{64}$/)
    await folio('react', posted.card, 'love', ...rpc)
    const feed = await folio('feed', '--tag', 'cli', '--sort', 'top', ...rpc)
    expect(feed).to.have.keys('items', 'cursor')
    expect(feed.items).to.have.length(1)
    expect(feed.items[0]).to.include({ id: posted.card, kind: 'text', creator: encodeAddress(faucet.address), price: '0' })
    expect(feed.items[0].counters.reactions.love).to.equal(1)
    const human = await run(process.execPath, ['bin/folio.js', 'feed', '--text', 'hello', ...rpc], { timeout: 30_000 })
    expect(human.stdout).to.match(/hello from the cli\n  text · free · by fol1/)
    expect(human.stdout).to.match(/1 reactions · 0 replies/)
    const card = await folio('card', posted.card, ...rpc)
    expect(card.body).to.equal('hello from the cli')

    await t.node.stop()
    await writeJson(join(t.home, 'genesis.json'), genesisToJSON(devnetGenesis(1)))
    const re = await folio('reindex', '--home', t.home)
    expect(re).to.include({ cards: 1 })
    expect(re.height).to.be.at.least(posted.height)
  })
})
