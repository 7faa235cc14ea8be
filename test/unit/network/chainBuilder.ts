/**
 * Builds a long committed chain fast, without consensus: for a one-validator devnet genesis, each
 * block is made by the node's own proposal code and committed with a real precommit signed by the
 * validator's key, so a syncing node verifies exactly what consensus would have produced. Used to
 * give block sync thousands of blocks to fetch.
 */
import { LevelStore, Chain } from '../../../src/state/index.js'
import { Mempool } from '../../../src/mempool/index.js'
import { NodeConsensusApp } from '../../../src/node/consensusApp.js'
import { createLogger } from '../../../src/node/logger.js'
import { homePaths } from '../../../src/node/config.js'
import { buildCommit } from '../../../src/consensus/index.js'
import { decodeBlock, voteSigningBytes } from '../../../src/blocks/index.js'
import type { Commit, Vote } from '../../../src/blocks/types.js'
import { ed25519Sign, type Account } from '../../../src/crypto/index.js'
import type { Genesis } from '../../../src/state/index.js'

/** Commits `count` empty blocks into `<home>/data`, signed by `validator` (the genesis's only validator). */
export async function buildChain (home: string, genesis: Genesis, validator: Account, count: number): Promise<void> {
  const store = await LevelStore.open(homePaths(home).data)
  try {
    await extendChain(await Chain.open(store, genesis), validator, count)
  } finally {
    await store.close()
  }
}

/** Commits empty blocks onto `chain` up to height `count`. */
export async function extendChain (chain: Chain, validator: Account, count: number): Promise<void> {
  const genesis = chain.genesis
  {
    const mempool = new Mempool({
      chainId: chain.chainId,
      params: chain.params,
      account: async () => ({ balance: 0n, nonce: 0n }),
      isCommitted: async () => false
    })
    const app = new NodeConsensusApp({ chain, mempool, address: validator.address, log: createLogger({ level: 'silent', pretty: false }), now: () => genesis.genesisTime + chain.head().height * 1000 })
    let lastCommit: Commit | null = chain.head().height > 0 ? (await chain.blocks.commit(chain.head().height)) ?? null : null
    for (let h = chain.head().height + 1; h <= count; h++) {
      const { hash, bytes } = await app.proposeBlock(h, 0, lastCommit)
      const unsigned = { type: 'precommit' as const, height: h, round: 0, blockHash: hash, validator: validator.address }
      const vote: Vote = { ...unsigned, signature: ed25519Sign(validator.secretKey, voteSigningBytes(chain.chainId, unsigned)) }
      const commit = buildCommit(h, 0, hash, [vote])
      await chain.commit(decodeBlock(bytes), commit)
      lastCommit = commit
    }
  }
}
