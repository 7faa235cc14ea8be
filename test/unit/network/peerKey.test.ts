/** The p2p identity survives restarts; devnet identities are deterministic and distinct. */
import { expect } from 'chai'
import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreatePeerKey, peerKeyPath, devnetPeerId, writeDevnetPeerKey, NetworkError } from '../../../src/network/index.js'

describe('network/peer keys', () => {
  let home: string
  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'folio-key-')) })
  afterEach(async () => { await rm(home, { recursive: true, force: true }) })

  it('creates a key once (mode 0600) and reads the same identity back', async () => {
    const a = await loadOrCreatePeerKey(home)
    const b = await loadOrCreatePeerKey(home)
    expect(peerIdFromPrivateKey(a).toString()).to.equal(peerIdFromPrivateKey(b).toString())
    expect((await stat(peerKeyPath(home))).mode & 0o777).to.equal(0o600)
  })

  it('derives devnet identities deterministically, one per node, matching the written key', async () => {
    const ids = await Promise.all([0, 1, 2, 3].map(devnetPeerId))
    expect(new Set(ids).size).to.equal(4)
    expect(await devnetPeerId(2)).to.equal(ids[2])
    await writeDevnetPeerKey(home, 2)
    expect(peerIdFromPrivateKey(await loadOrCreatePeerKey(home)).toString()).to.equal(ids[2])
  })

  it('refuses a corrupt key file instead of silently changing identity', async () => {
    await writeFile(peerKeyPath(home), '{"peerId":"x","privateKey":"0x00"}')
    let err: unknown
    try { await loadOrCreatePeerKey(home) } catch (e) { err = e }
    expect(err).to.be.instanceOf(NetworkError).with.property('code', 'INVALID_KEY_FILE')
  })
})
