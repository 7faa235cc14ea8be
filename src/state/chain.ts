/**
 * The chain: committed state plus committed blocks, advanced one block at a time. `prepare`
 * executes a proposed block into an overlay (so consensus can validate it) and `commit` writes
 * the block, its commit, its state changes, the new state root, the transaction index, every
 * registered indexer's records and the new head in ONE atomic batch. A crash at any moment
 * leaves either the previous head or the new one, never a mixture.
 */
import type { Block, Commit } from '../blocks/types.js'
import { blockHash, encodeBlock } from '../blocks/index.js'
import { addressFromPublicKey } from '../crypto/index.js'
import { bytesEqual, toHex } from '../codec/index.js'
import type { KVStore, BatchOp } from './store.js'
import { StateStore, type StateChange } from './stateStore.js'
import { StateOverlay } from './overlay.js'
import { BlockStore, type Head } from './blockStore.js'
import { type Genesis, genesisHash, genesisHooksList } from './genesis.js'
import { credit } from './accounts.js'
import { executeBlockTxs, type ExecutedTx } from './executor.js'
import type { BlockEnv } from './registry.js'
import { StateError } from './errors.js'
import { readHeightKey } from './keys.js'
import { decodeSetRecord, evidenceMaxAge, stakingKeys, type SetMemberValue } from './staking/index.js'

export interface ValidatorInfo {
  name: string
  address: Uint8Array
  publicKey: Uint8Array
  power: bigint
  operator: Uint8Array
  escrowKey?: Uint8Array
  /**
   * Proposer priority before this height's increment (docs/staking.md): the consensus layer's set
   * for the height is `new ValidatorSet(infos).incrementProposerPriority(1)`.
   */
  proposerPriority: bigint
}

export interface CommittedBlock {
  block: Block
  hash: Uint8Array
  height: number
  executed: ExecutedTx[]
  changes: StateChange[]
}

/** Writes secondary records (feed indexes and the like) in the block's batch. */
export interface Indexer {
  name: string
  blockOps: (committed: CommittedBlock, state: StateOverlay) => Promise<BatchOp[]>
}

interface Prepared {
  parentHash: Uint8Array
  hash: Uint8Array
  overlay: StateOverlay
  executed: ExecutedTx[]
}

export interface ChainLog {
  warn: (obj: unknown, msg?: string) => void
  error: (obj: unknown, msg?: string) => void
}

export const ZERO_HASH = new Uint8Array(32)

export class Chain {
  private current: Head
  /** Executions by block hash, finished or still running (a proposal executes while it travels). */
  private readonly prepared = new Map<string, { parentHash: Uint8Array, result: Promise<Prepared> }>()
  private readonly listeners: Array<(b: CommittedBlock) => void> = []
  private readonly indexers: Indexer[] = []
  private commitQueue: Promise<unknown> = Promise.resolve()
  /** Validator-set records (s/stk.set/<h>) by height: every kept record, mirrored from state. */
  private readonly validatorSets = new Map<number, ValidatorInfo[]>()
  private lastSetHeight = 0

  private constructor (
    readonly kv: KVStore,
    readonly genesis: Genesis,
    readonly state: StateStore,
    readonly blocks: BlockStore,
    head: Head,
    private readonly log?: ChainLog
  ) {
    this.current = head
  }

  static async open (kv: KVStore, genesis: Genesis, opts: { log?: ChainLog, cacheEntries?: number, cacheBytes?: number } = {}): Promise<Chain> {
    const state = await StateStore.open(kv, { cacheEntries: opts.cacheEntries, cacheBytes: opts.cacheBytes })
    const blocks = new BlockStore(kv, genesis.params.maxBlockBytes)
    const gHash = genesisHash(genesis)
    let head = await blocks.head()
    if (head === undefined) {
      const overlay = new StateOverlay(state)
      for (const a of genesis.accounts) await credit(overlay, a.address, a.balance)
      for (const hook of genesisHooksList()) await hook(genesis, overlay)
      const changes = overlay.changes()
      const { root, ops } = await state.commitChanges(changes)
      head = { height: 0, hash: ZERO_HASH, time: genesis.genesisTime, stateRoot: root }
      await kv.batch([...ops, blocks.genesisOp(gHash), blocks.headOp(head)])
      state.afterWrite(changes)
    } else {
      const stored = await blocks.genesisHash()
      if (stored === undefined || !bytesEqual(stored, gHash)) {
        throw new StateError('INVALID_GENESIS', 'this data folder belongs to a chain with a different genesis; use another --data folder')
      }
      if (!bytesEqual(state.root(), head.stateRoot)) {
        throw new StateError('CORRUPT_STATE', `state root ${toHex(state.root())} does not match head ${head.height} root ${toHex(head.stateRoot)}`)
      }
    }
    const chain = new Chain(kv, genesis, state, blocks, head, opts.log)
    await chain.loadValidatorSets()
    return chain
  }

  get chainId (): string {
    return this.genesis.chainId
  }

  get params (): Genesis['params'] {
    return this.genesis.params
  }

  head (): Head {
    return this.current
  }

  /**
   * The validator set that signs blocks at `height`, in address order, from the record that block
   * `height - 2` wrote (genesis for heights 1 and 2). Heights past the last record (not decided
   * yet) get the last record: the best knowledge of a set that block `height - 2` may still change.
   * Heights older than the kept window (the evidence window) are refused with NOT_FOUND.
   */
  validators (height: number): ValidatorInfo[] {
    const hit = this.validatorSets.get(height)
    if (hit !== undefined) return hit
    if (this.lastSetHeight === 0) return this.genesisValidators()
    if (height > this.lastSetHeight) return this.validatorSets.get(this.lastSetHeight) as ValidatorInfo[]
    throw new StateError('NOT_FOUND', `the validator set of height ${height} is no longer kept (kept: the last ${evidenceMaxAge(this.params)} heights)`)
  }

  /** The account that receives the fees of blocks proposed by a consensus address: its operator. */
  feeRecipient (height: number, proposer: Uint8Array): Uint8Array {
    return this.validators(height).find(v => bytesEqual(v.address, proposer))?.operator ?? proposer
  }

  /** Genesis validators with zero priorities: for state written before validator-set records existed. */
  private genesisValidators (): ValidatorInfo[] {
    return this.genesis.validators.map(v => ({
      name: v.name,
      address: addressFromPublicKey(v.publicKey),
      publicKey: v.publicKey,
      power: v.power,
      operator: v.operator,
      escrowKey: v.escrowKey,
      proposerPriority: 0n
    })).sort((a, b) => Buffer.compare(a.address, b.address))
  }

  /** Mirrors the kept set records at open, then follows each committed block's changes to them. */
  private async loadValidatorSets (): Promise<void> {
    const top = this.current.height + 2
    const heights: number[] = []
    for (let h = Math.max(1, top - evidenceMaxAge(this.params) - 3); h <= top; h++) heights.push(h)
    await this.state.prefetch(heights.map(h => stakingKeys.set(h)))
    for (const h of heights) {
      const b = await this.state.get(stakingKeys.set(h))
      if (b !== undefined) this.noteValidatorSet(h, decodeSetRecord(b))
    }
    this.onBlock(committed => {
      const prefixLength = stakingKeys.setPrefix.length
      for (const c of committed.changes) {
        if (c.key.length !== prefixLength + 8 || !bytesEqual(c.key.subarray(0, prefixLength), stakingKeys.setPrefix)) continue
        const h = readHeightKey(c.key, prefixLength)
        if (c.value === null) this.validatorSets.delete(h)
        else this.noteValidatorSet(h, decodeSetRecord(c.value))
      }
    })
  }

  private noteValidatorSet (height: number, members: SetMemberValue[]): void {
    this.validatorSets.set(height, members.map(m => ({
      name: m.moniker,
      address: m.address,
      publicKey: m.publicKey,
      power: m.power,
      operator: m.operator,
      escrowKey: m.escrowKey,
      proposerPriority: m.priority
    })))
    if (height > this.lastSetHeight) this.lastSetHeight = height
  }

  onBlock (fn: (b: CommittedBlock) => void): () => void {
    this.listeners.push(fn)
    return () => { const i = this.listeners.indexOf(fn); if (i >= 0) this.listeners.splice(i, 1) }
  }

  addIndexer (indexer: Indexer): void {
    this.indexers.push(indexer)
  }

  /** A fresh overlay over committed state, for dry runs (mempool checks, RPC simulation). */
  overlay (): StateOverlay {
    return new StateOverlay(this.state)
  }

  /**
   * Checks that `block` extends the head and executes it into an overlay. Throws StateError
   * INVALID_BLOCK when it does not extend the head or a transaction is not admissible.
   */
  async prepare (block: Block): Promise<Prepared> {
    const h = block.header
    const head = this.current
    if (h.chainId !== this.chainId) throw new StateError('INVALID_BLOCK', `block is for chain ${h.chainId}, this is ${this.chainId}`)
    if (h.height !== head.height + 1) throw new StateError('INVALID_BLOCK', `block height ${h.height} does not follow head ${head.height}`)
    if (!bytesEqual(h.prevHash, head.hash)) throw new StateError('INVALID_BLOCK', `block ${h.height} does not extend head ${toHex(head.hash)}`)
    if (!bytesEqual(h.stateRoot, head.stateRoot)) throw new StateError('INVALID_BLOCK', `block ${h.height} carries state root ${toHex(h.stateRoot)}, expected ${toHex(head.stateRoot)}`)
    if (h.time < head.time) throw new StateError('INVALID_BLOCK', `block ${h.height} time ${h.time} is before its parent's ${head.time}`)
    const hash = blockHash(h)
    const key = toHex(hash)
    const cached = this.prepared.get(key)
    if (cached !== undefined && bytesEqual(cached.parentHash, head.hash)) return await cached.result
    const result = this.execute(block, head.hash, hash)
    const entry = { parentHash: head.hash, result }
    if (this.prepared.size > 8) this.prepared.clear()
    this.prepared.set(key, entry)
    // a failed execution is not remembered: asking again executes again
    result.catch(() => { if (this.prepared.get(key) === entry) this.prepared.delete(key) })
    return await result
  }

  private async execute (block: Block, parentHash: Uint8Array, hash: Uint8Array): Promise<Prepared> {
    const h = block.header
    const overlay = new StateOverlay(this.state)
    const env: BlockEnv = {
      chainId: this.chainId,
      height: h.height,
      time: h.time,
      proposer: this.feeRecipient(h.height, h.proposer),
      params: this.params
    }
    const executed = await executeBlockTxs(overlay, block.txs, env, (msg, err) => this.log?.error({ err }, msg))
    return { parentHash, hash, overlay, executed }
  }

  /**
   * Commits `block`, decided by `commit` (its precommits), in one atomic batch. `encoded` is the
   * block's canonical encoding when the caller has it (as received), saving a re-encoding.
   */
  async commit (block: Block, commit: Commit | null, encoded?: Uint8Array): Promise<CommittedBlock> {
    const run = this.commitQueue.then(async () => await this.commitNow(block, commit, encoded))
    this.commitQueue = run.catch(() => {})
    return await run
  }

  private async commitNow (block: Block, commit: Commit | null, encoded?: Uint8Array): Promise<CommittedBlock> {
    const prepared = await this.prepare(block)
    const changes = prepared.overlay.changes()
    const { root, ops } = await this.state.commitChanges(changes)
    const height = block.header.height
    const committed: CommittedBlock = { block, hash: prepared.hash, height, executed: prepared.executed, changes }
    const blockOps = this.blocks.blockOps(height, prepared.hash, encoded ?? encodeBlock(block), commit,
      prepared.executed.map(e => ({ id: e.id, result: e.result })))
    const indexOps: BatchOp[] = []
    for (const ix of this.indexers) indexOps.push(...await ix.blockOps(committed, prepared.overlay))
    const head: Head = { height, hash: prepared.hash, time: block.header.time, stateRoot: root }
    await this.kv.batch([...ops, ...blockOps, ...indexOps, this.blocks.headOp(head)])
    this.state.afterWrite(changes)
    this.current = head
    this.prepared.clear()
    for (const fn of this.listeners) {
      try {
        fn(committed)
      } catch (err) {
        this.log?.warn({ err }, 'block listener failed')
      }
    }
    return committed
  }

  /** Stores a better-known commit for an already committed height (e.g. the canonical one from block h+1). */
  async storeCommit (commit: Commit): Promise<void> {
    await this.kv.batch([this.blocks.commitOp(commit)])
  }
}
