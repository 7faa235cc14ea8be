/**
 * A deterministic simulated network for the consensus engine: a virtual clock whose timers fire
 * in (time, insertion) order, N validators with in-memory WALs and sign-guard stores, and a
 * network whose latency, drops and partitions the test controls. Messages held back by a
 * partition are delivered when it heals, as gossip would re-send them. Seconds of protocol time
 * cost microseconds.
 */
import { bytesEqual } from '../../../src/codec/hex.js'
import { bytesToUint, expectBytes, expectList, rlpDecode, rlpEncode, uintToBytes } from '../../../src/codec/rlp.js'
import type { RlpItem } from '../../../src/codec/rlp.js'
import { addressFromPublicKey, ed25519FromSeed, ed25519Sign, sha256 } from '../../../src/crypto/index.js'
import { decodeCommit, encodeCommit, proposalSigningBytes, voteSigningBytes } from '../../../src/blocks/consensusMessages.js'
import type { Commit, Proposal, Vote, VoteType } from '../../../src/blocks/types.js'
import { ConsensusEngine } from '../../../src/consensus/engine.js'
import { verifyCommit } from '../../../src/consensus/commit.js'
import type { DuplicateVoteEvidence } from '../../../src/consensus/evidence.js'
import type { ConsensusOptions } from '../../../src/consensus/options.js'
import { MemorySignGuardStore, SignGuard } from '../../../src/consensus/signGuard.js'
import type { ConsensusApp, ConsensusClock } from '../../../src/consensus/types.js'
import { ValidatorSet, nextValidatorSet } from '../../../src/consensus/validatorSet.js'
import type { ValidatorUpdate } from '../../../src/consensus/validatorSet.js'
import { MemoryWalBackend } from '../../../src/consensus/wal.js'

export const CHAIN_ID = 'folio-sim'

export class SimClock implements ConsensusClock {
  private t = 0
  private seq = 0
  private timers: Array<{ at: number, seq: number, fn: () => void, live: boolean }> = []

  now (): number { return this.t }

  setTimeout (ms: number, fn: () => void): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true }
    this.timers.push(timer)
    return () => { timer.live = false }
  }

  /** Fires the earliest live timer due at or before `limit`; false if there is none. */
  fireNext (limit: number): boolean {
    this.timers = this.timers.filter(t => t.live)
    if (this.timers.length === 0) return false
    let best = this.timers[0]!
    for (const t of this.timers) if (t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t
    if (best.at > limit) return false
    best.live = false
    this.t = Math.max(this.t, best.at)
    best.fn()
    return true
  }

  advanceTo (t: number): void { this.t = Math.max(this.t, t) }
}

export interface SimKey { secretKey: Uint8Array, publicKey: Uint8Array, address: Uint8Array }

export function simKey (name: string): SimKey {
  const { secretKey, publicKey } = ed25519FromSeed(sha256(new TextEncoder().encode(name)))
  return { secretKey, publicKey, address: addressFromPublicKey(publicKey) }
}

/** Block bytes: RLP([height, proposer, updates [[address, publicKey, power]], lastCommit | []]). */
export function encodeSimBlock (height: number, proposer: Uint8Array, updates: ValidatorUpdate[], lastCommit: Commit | null): Uint8Array {
  return rlpEncode([
    uintToBytes(height), proposer,
    updates.map(u => [u.address, u.publicKey, uintToBytes(u.power)]),
    lastCommit === null ? [] : encodeCommit(lastCommit)
  ])
}

export function decodeSimBlock (bytes: Uint8Array): { height: number, proposer: Uint8Array, updates: ValidatorUpdate[], lastCommit: Commit | null } {
  const f = expectList(rlpDecode(bytes), 'block', 4)
  const lc = expectList(f[3]!, 'lastCommit')
  return {
    height: Number(bytesToUint(expectBytes(f[0]!, 'height'))),
    proposer: expectBytes(f[1]!, 'proposer'),
    updates: expectList(f[2]!, 'updates').map((u: RlpItem) => {
      const p = expectList(u, 'update', 3)
      return { address: expectBytes(p[0]!, 'a'), publicKey: expectBytes(p[1]!, 'k'), power: bytesToUint(expectBytes(p[2]!, 'p')) }
    }),
    lastCommit: lc.length === 0 ? null : decodeCommit(lc)
  }
}

export interface Committed { height: number, hash: Uint8Array, bytes: Uint8Array, commit: Commit }

/** One node's application: a chain of sim blocks with validator-set changes effective at h + 2. */
export class SimApp implements ConsensusApp {
  readonly chain: Committed[] = []
  readonly sets = new Map<number, ValidatorSet>()
  commitDelayMs = 0
  /** What hasPendingWork answers; tests of idleProposeDelay set it. */
  pendingWork = true

  constructor (genesis: ValidatorSet, private readonly me: Uint8Array, private readonly changesAt: Map<number, ValidatorUpdate[]>, private readonly clock: SimClock) {
    this.sets.set(1, genesis)
    this.sets.set(2, nextValidatorSet(genesis, []))
  }

  validatorSet (height: number): ValidatorSet {
    const set = this.sets.get(height)
    if (set === undefined) throw new Error(`no validator set known for height ${height}`)
    return set
  }

  hasPendingWork (): boolean {
    return this.pendingWork
  }

  async proposeBlock (height: number, _round: number, lastCommit: Commit | null): Promise<{ hash: Uint8Array, bytes: Uint8Array }> {
    const bytes = encodeSimBlock(height, this.me, this.changesAt.get(height) ?? [], lastCommit)
    return { hash: sha256(bytes), bytes }
  }

  async validateBlock (height: number, bytes: Uint8Array): Promise<Uint8Array | null> {
    try {
      const b = decodeSimBlock(bytes)
      if (b.height !== height) return null
      if (height > 1) {
        const prev = this.chain[height - 2]
        if (prev === undefined || b.lastCommit === null) return null
        verifyCommit(CHAIN_ID, this.validatorSet(height - 1), b.lastCommit, { height: height - 1, blockHash: prev.hash })
      } else if (b.lastCommit !== null) {
        return null
      }
      return sha256(bytes)
    } catch {
      return null
    }
  }

  async commitBlock (height: number, bytes: Uint8Array, commit: Commit): Promise<void> {
    if (this.commitDelayMs > 0) await new Promise<void>(resolve => this.clock.setTimeout(this.commitDelayMs, resolve))
    if (height !== this.chain.length + 1) throw new Error(`commit of height ${height} out of order`)
    this.chain.push({ height, hash: sha256(bytes), bytes, commit })
    const block = decodeSimBlock(bytes)
    this.sets.set(height + 2, nextValidatorSet(this.validatorSet(height + 1), block.updates))
  }
}

export type SimMessage = { kind: 'proposal', proposal: Proposal, blockBytes: Uint8Array } | { kind: 'vote', vote: Vote }

export interface SimNode {
  index: number
  key: SimKey
  app: SimApp
  wal: MemoryWalBackend
  guardStore: MemorySignGuardStore
  engine: ConsensusEngine | null
  sent: SimMessage[]
  evidence: DuplicateVoteEvidence[]
}

export interface SimOptions {
  powers: bigint[]
  /** Extra keys (not in genesis) that run nodes, e.g. to join later. */
  extraNodes?: number
  options?: Partial<ConsensusOptions>
  latency?: number
  changesAt?: Map<number, ValidatorUpdate[]>
}

export class SimNetwork {
  readonly clock = new SimClock()
  readonly nodes: SimNode[] = []
  readonly genesis: ValidatorSet
  latency: number
  /** Return false to drop a message from -> to for good. */
  filter: (from: number, to: number, m: SimMessage) => boolean = () => true
  /** Latency of one message; tests override it to hold particular messages back. */
  delayOf: (from: number, to: number, m: SimMessage) => number = () => this.latency
  /** Every message sent, by sender: what gossip would eventually spread. */
  readonly everSent: Array<{ from: number, m: SimMessage }> = []
  private groups: number[][] | null = null
  private held: Array<{ from: number, to: number, m: SimMessage }> = []
  private readonly opts: SimOptions

  constructor (opts: SimOptions) {
    this.opts = opts
    this.latency = opts.latency ?? 10
    const total = opts.powers.length + (opts.extraNodes ?? 0)
    const keys = Array.from({ length: total }, (_, i) => simKey(`validator-${i}`))
    this.genesis = ValidatorSet.genesis(opts.powers.map((power, i) => ({ address: keys[i]!.address, publicKey: keys[i]!.publicKey, power })))
    for (let i = 0; i < total; i++) {
      this.nodes.push({
        index: i,
        key: keys[i]!,
        app: new SimApp(this.genesis, keys[i]!.address, opts.changesAt ?? new Map(), this.clock),
        wal: new MemoryWalBackend(),
        guardStore: new MemorySignGuardStore(),
        engine: null,
        sent: [],
        evidence: []
      })
    }
  }

  async startAll (): Promise<void> {
    for (const n of this.nodes) await this.startNode(n.index)
  }

  async startNode (i: number): Promise<void> {
    const node = this.nodes[i]!
    const last = node.app.chain.at(-1)
    const guard = await SignGuard.open(node.key.secretKey, node.guardStore)
    node.engine = new ConsensusEngine({
      chainId: CHAIN_ID,
      clock: this.clock,
      app: node.app,
      wal: node.wal,
      signer: { address: node.key.address, guard },
      height: (last?.height ?? 0) + 1,
      lastCommit: last?.commit ?? null,
      options: this.opts.options,
      sink: {
        broadcastProposal: (proposal, blockBytes) => this.broadcast(i, { kind: 'proposal', proposal, blockBytes }),
        broadcastVote: (vote) => this.broadcast(i, { kind: 'vote', vote }),
        evidence: (ev) => { node.evidence.push(ev) }
      }
    })
    await node.engine.start()
  }

  /** kill -9: the engine stops mid-flight and unsynced WAL appends are lost. */
  crash (i: number, keepUnsyncedBytes = 0): void {
    const node = this.nodes[i]!
    node.engine?.stop()
    node.engine = null
    node.wal.crash(keepUnsyncedBytes)
  }

  broadcast (from: number, m: SimMessage): void {
    this.nodes[from]!.sent.push(m)
    for (const n of this.nodes) if (n.index !== from) this.send(from, n.index, m)
  }

  /** Sends one message (also how tests inject Byzantine messages). */
  send (from: number, to: number, m: SimMessage, latency?: number): void {
    if (!this.everSent.some(e => e.m === m)) this.everSent.push({ from, m })
    if (!this.filter(from, to, m)) return
    this.transmit(from, to, m, latency ?? this.delayOf(from, to, m))
  }

  /** Gossip catching up: every message ever sent reaches every node (partitions permitting). */
  regossip (): void {
    for (const { from, m } of this.everSent) {
      for (const n of this.nodes) if (n.index !== from) this.transmit(from, n.index, m, this.latency)
    }
  }

  private transmit (from: number, to: number, m: SimMessage, latency: number): void {
    this.clock.setTimeout(latency, () => {
      if (!this.connected(from, to)) {
        this.held.push({ from, to, m })
        return
      }
      this.deliver(to, m)
    })
  }

  deliver (to: number, m: SimMessage): void {
    const engine = this.nodes[to]!.engine
    if (engine === null) return
    if (m.kind === 'proposal') engine.receiveProposal(m.proposal, m.blockBytes)
    else engine.receiveVote(m.vote)
  }

  partition (...groups: number[][]): void { this.groups = groups }

  heal (): void {
    this.groups = null
    const held = this.held
    this.held = []
    for (const h of held) this.transmit(h.from, h.to, h.m, this.latency)
  }

  private connected (a: number, b: number): boolean {
    if (this.groups === null) return true
    return this.groups.some(g => g.includes(a) && g.includes(b))
  }

  async settle (): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      await new Promise<void>(resolve => setImmediate(resolve))
      await Promise.all(this.nodes.map(async n => await n.engine?.idle()))
      await new Promise<void>(resolve => setImmediate(resolve))
      if (this.nodes.every(n => n.engine === null || n.engine.isIdle)) return
    }
  }

  /** Runs protocol time forward until `done` holds or `maxMs` pass; returns whether it held. */
  async runUntil (done: () => boolean, maxMs: number): Promise<boolean> {
    const end = this.clock.now() + maxMs
    await this.settle()
    while (!done()) {
      if (!this.clock.fireNext(end)) {
        this.clock.advanceTo(end)
        return done()
      }
      await this.settle()
    }
    return true
  }

  async runFor (ms: number): Promise<void> {
    await this.runUntil(() => false, ms)
  }

  /** A vote signed directly with node i's key, bypassing its guard: for Byzantine senders. */
  rawVote (i: number, type: VoteType, height: number, round: number, blockHash: Uint8Array | null): SimMessage {
    const key = this.nodes[i]!.key
    const unsigned = { type, height, round, blockHash, validator: key.address }
    return { kind: 'vote', vote: { ...unsigned, signature: ed25519Sign(key.secretKey, voteSigningBytes(CHAIN_ID, unsigned)) } }
  }

  /** A proposal of `blockBytes` signed directly with node i's key. */
  rawProposal (i: number, height: number, round: number, validRound: number, blockBytes: Uint8Array): SimMessage {
    const key = this.nodes[i]!.key
    const unsigned = { height, round, validRound, blockHash: sha256(blockBytes), proposer: key.address }
    return { kind: 'proposal', proposal: { ...unsigned, signature: ed25519Sign(key.secretKey, proposalSigningBytes(CHAIN_ID, unsigned)) }, blockBytes }
  }

  /** Index of the node proposing (height, round). */
  proposerIndex (height: number, round: number): number {
    const address = this.nodes[0]!.app.validatorSet(height).proposerForRound(round).address
    return this.nodes.findIndex(n => bytesEqual(n.key.address, address))
  }

  heights (): number[] {
    return this.nodes.map(n => n.app.chain.length)
  }

  /** Throws if two nodes committed different blocks at one height. */
  assertAgreement (): void {
    for (const a of this.nodes) {
      for (const b of this.nodes) {
        const n = Math.min(a.app.chain.length, b.app.chain.length)
        for (let h = 0; h < n; h++) {
          if (!bytesEqual(a.app.chain[h]!.hash, b.app.chain[h]!.hash)) {
            throw new Error(`fork at height ${h + 1} between nodes ${a.index} and ${b.index}`)
          }
        }
      }
    }
  }
}
