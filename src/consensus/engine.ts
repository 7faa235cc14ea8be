/**
 * The Tendermint state machine of "The latest gossip on BFT consensus" (Buchman, Kwon,
 * Milosevic 2018), Algorithm 1. Comments "L22" etc. name the paper's lines. Values are blocks,
 * identified by hash; a block counts as valid(v) once the app has validated its bytes.
 *
 * Every input (proposal, vote, timeout) is processed on one queue, so async app calls never
 * interleave and a run is a deterministic function of the input order. Own messages are signed
 * through the SignGuard, written and synced to the WAL, then broadcast. On start the WAL's
 * records for the current height are replayed through the same handlers, which restores locks,
 * valid values and votes seen; the guard makes re-signing during replay return the same bytes.
 */
import { bareHex, bytesEqual } from '../codec/hex.js'
import { ed25519Verify } from '../crypto/index.js'
import { proposalSigningBytes } from '../blocks/consensusMessages.js'
import type { Commit, Proposal, Vote, VoteType } from '../blocks/types.js'
import { buildCommit } from './commit.js'
import { evidenceHash } from './evidence.js'
import type { DuplicateVoteEvidence } from './evidence.js'
import { precommitTimeout, prevoteTimeout, proposeTimeout, resolveConsensusOptions } from './options.js'
import type { ConsensusOptions } from './options.js'
import type { SignGuard } from './signGuard.js'
import { silentLogger } from './types.js'
import type { ConsensusApp, ConsensusClock, ConsensusLogger, ConsensusSink, ConsensusStatus } from './types.js'
import { HeightState } from './heightState.js'
import { encodeWalRecord } from './wal.js'
import type { WalBackend } from './wal.js'
import { encodeWalMessage, recoverWal } from './walMessages.js'
import type { TimeoutStep, WalMessage } from './walMessages.js'

export interface ConsensusEngineInit {
  chainId: string
  clock: ConsensusClock
  app: ConsensusApp
  sink: ConsensusSink
  wal: WalBackend
  /** Absent for a node that follows consensus without voting. */
  signer?: { address: Uint8Array, guard: SignGuard }
  /** The first height to decide (last committed height + 1). */
  height: number
  /** The commit of height - 1, or null at height 1. */
  lastCommit: Commit | null
  options?: Partial<ConsensusOptions>
  logger?: ConsensusLogger
}

const COMMIT_RETRY_MS = 1000

type Input =
  | { kind: 'proposal', proposal: Proposal, blockBytes: Uint8Array }
  | { kind: 'vote', vote: Vote }

export class ConsensusEngine {
  private readonly init: ConsensusEngineInit
  private readonly opts: ConsensusOptions
  private readonly log: ConsensusLogger
  private queue: Promise<void> = Promise.resolve()
  private pending = 0
  private stopped = true
  private replaying = false
  private timers = new Set<() => void>()

  private hs!: HeightState
  private lastCommit: Commit | null
  private ownProposals = new Map<number, { proposal: Proposal, blockBytes: Uint8Array }>()
  /** Own votes found in the WAL at start: replay re-sends them rather than asking the guard. */
  private ownVotes = new Map<string, Vote>()
  private future: Input[] = []
  /** The height whose round-0 proposal waits for work (idleProposeDelay), or null. */
  private waitingHeight: number | null = null
  private readonly evidenceSeen = new Set<string>()

  constructor (init: ConsensusEngineInit) {
    this.init = init
    this.opts = resolveConsensusOptions(init.options)
    this.log = init.logger ?? silentLogger
    this.lastCommit = init.lastCommit
  }

  get status (): ConsensusStatus {
    return this.hs === undefined
      ? { height: this.init.height, round: 0, step: 'propose', lockedRound: -1, lockedHash: null, validRound: -1, validHash: null }
      : this.hs.status
  }

  /** Recovers the WAL (truncating a torn tail), replays the current height and starts round 0. */
  async start (): Promise<void> {
    this.stopped = false
    await this.enqueue(async () => {
      const replay = await recoverWal(this.init.wal, this.init.height, this.log)
      for (const m of replay) {
        if (m.kind === 'proposal' && this.isMe(m.proposal.proposer)) this.ownProposals.set(m.proposal.round, m)
        if (m.kind === 'vote' && this.isMe(m.vote.validator)) this.ownVotes.set(`${m.vote.round}/${m.vote.type}`, m.vote)
      }
      this.replaying = true
      try {
        await this.enterHeight(this.init.height)
        for (const m of replay) await this.applyWalMessage(m)
      } finally {
        this.replaying = false
      }
    })
  }

  stop (): void {
    this.stopped = true
    this.cancelTimers()
  }

  receiveProposal (proposal: Proposal, blockBytes: Uint8Array): void {
    void this.enqueue(async () => await this.onInput({ kind: 'proposal', proposal, blockBytes }))
  }

  receiveVote (vote: Vote): void {
    void this.enqueue(async () => await this.onInput({ kind: 'vote', vote }))
  }

  /** True while this validator, as proposer of round 0, waits for transactions to propose. */
  get waitingForWork (): boolean {
    return this.waitingHeight !== null
  }

  /** The app has work to propose (e.g. its pool was empty and a transaction came): stop waiting. */
  workAvailable (): void {
    const height = this.waitingHeight
    if (height === null) return
    void this.enqueue(async () => await this.proposeAfterWait(height))
  }

  /** Resolves when every input received so far has been processed. */
  async idle (): Promise<void> {
    let q: Promise<void>
    do {
      q = this.queue
      await q
    } while (q !== this.queue)
  }

  /** True when no input is queued or being processed. */
  get isIdle (): boolean {
    return this.pending === 0
  }

  private async enqueue (task: () => Promise<void>): Promise<void> {
    this.pending++
    const run = this.queue.then(async () => {
      if (this.stopped) return
      try {
        await task()
      } catch (err) {
        this.log.warn({ err, height: this.hs.height, round: this.hs.round }, 'consensus input failed')
      } finally {
        this.pending--
      }
    })
    this.queue = run
    await run
  }

  private async applyWalMessage (m: WalMessage): Promise<void> {
    if (m.kind === 'timeout') await this.onTimeout(m.height, m.round, m.step)
    else if (m.kind === 'proposal' || m.kind === 'vote') await this.onInput(m)
  }

  /**
   * Received messages are logged unsynced (losing the last few costs a re-gossip, not safety);
   * own messages are synced, and written even during replay, since a message signed just before
   * a crash may be missing from the log.
   */
  private async walWrite (m: WalMessage, own: boolean): Promise<void> {
    if (this.replaying && !own) return
    await this.init.wal.append(encodeWalRecord(encodeWalMessage(m)))
    if (own) await this.init.wal.sync()
  }

  private isMe (address: Uint8Array): boolean {
    return this.init.signer !== undefined && bytesEqual(this.init.signer.address, address)
  }

  private schedule (ms: number, fn: () => Promise<void>): void {
    const cancel = this.init.clock.setTimeout(ms, () => {
      this.timers.delete(cancel)
      void this.enqueue(fn)
    })
    this.timers.add(cancel)
  }

  private cancelTimers (): void {
    for (const cancel of this.timers) cancel()
    this.timers.clear()
  }

  private async enterHeight (height: number): Promise<void> {
    this.cancelTimers()
    this.hs = new HeightState(this.init.chainId, height, this.init.app.validatorSet(height), this.init.clock.now())
    if (height !== this.init.height) {
      this.ownProposals.clear()
      this.ownVotes.clear()
    }
    this.log.debug({ height }, 'entering height')
    await this.startRound(0)
    const buffered = this.future
    this.future = []
    for (const input of buffered) await this.onInput(input)
    await this.evaluate()
  }

  /** L11: StartRound. */
  private async startRound (round: number): Promise<void> {
    this.hs.round = round
    this.hs.step = 'propose'
    this.waitingHeight = null
    const proposer = this.hs.valset.proposerForRound(round)
    if (this.isMe(proposer.address) && this.hs.valset.get(proposer.address) !== undefined) {
      if (round === 0 && this.mayWaitForWork()) {
        const h = this.hs.height
        this.waitingHeight = h
        this.log.debug({ height: h }, 'pool empty: waiting for transactions before proposing')
        this.schedule(this.opts.idleProposeDelay, async () => await this.proposeAfterWait(h))
        return
      }
      await this.propose(round)
    } else {
      const h = this.hs.height
      this.schedule(proposeTimeout(this.opts, round), async () => await this.onTimeout(h, round, 'propose'))
    }
  }

  /**
   * Whether round 0's proposal may wait for work: only with idleProposeDelay, not while replaying
   * the WAL, never when a value is already valid or proposed, and only when the app says a block
   * now would be empty.
   */
  private mayWaitForWork (): boolean {
    return this.opts.idleProposeDelay > 0 && !this.replaying && this.hs.validHash === null &&
      !this.ownProposals.has(0) && this.init.app.hasPendingWork?.() === false
  }

  private async proposeAfterWait (height: number): Promise<void> {
    if (this.waitingHeight !== height || this.hs.height !== height || this.hs.round !== 0 || this.hs.step !== 'propose' || this.hs.decided) return
    this.waitingHeight = null
    await this.propose(0)
    await this.evaluate()
  }

  private async propose (round: number): Promise<void> {
    const signer = this.init.signer!
    let made: { proposal: Proposal, blockBytes: Uint8Array } | undefined = this.ownProposals.get(round)
    if (made === undefined) {
      let hash: Uint8Array
      let bytes: Uint8Array
      let validRound = -1
      const validBytes = this.hs.validHash === null ? undefined : this.hs.blockBytes(this.hs.validHash)
      if (this.hs.validHash !== null && validBytes !== undefined) {
        // L15: re-propose the value that had a polka, with its round as proof of lock.
        hash = this.hs.validHash
        bytes = validBytes
        validRound = this.hs.validRound
      } else {
        ({ hash, bytes } = await this.init.app.proposeBlock(this.hs.height, round, this.lastCommit))
      }
      const unsigned = { height: this.hs.height, round, validRound, blockHash: hash, proposer: signer.address }
      const signature = await this.signOrNull(async () => await signer.guard.signProposal(this.init.chainId, unsigned))
      if (signature === null) return
      made = { proposal: { ...unsigned, signature }, blockBytes: bytes }
      await this.walWrite({ kind: 'proposal', ...made }, true)
    }
    this.init.sink.broadcastProposal(made.proposal, made.blockBytes)
    this.hs.proposals.set(round, made.proposal)
    this.hs.addBlock(made.proposal.blockHash, made.blockBytes)
    this.hs.votes.noteHeardFrom(round, signer.address)
  }

  private async signOrNull (sign: () => Promise<Uint8Array>): Promise<Uint8Array | null> {
    try {
      return await sign()
    } catch (err) {
      this.log.warn({ err, height: this.hs.height, round: this.hs.round }, 'the sign guard refused to sign')
      return null
    }
  }

  private async castVote (type: VoteType, blockHash: Uint8Array | null): Promise<void> {
    const signer = this.init.signer
    if (signer === undefined || this.hs.valset.get(signer.address) === undefined) return
    const logged = this.ownVotes.get(`${this.hs.round}/${type}`)
    let vote: Vote
    if (logged !== undefined) {
      // Replaying: the guard has moved past this step, but the vote is already signed and logged.
      const same = logged.blockHash === null ? blockHash === null : blockHash !== null && bytesEqual(logged.blockHash, blockHash)
      if (!same) {
        this.log.warn({ height: this.hs.height, round: this.hs.round, type }, 'replay diverged from the WAL; not voting')
        return
      }
      vote = logged
    } else {
      const unsigned = { type, height: this.hs.height, round: this.hs.round, blockHash, validator: signer.address }
      const signature = await this.signOrNull(async () => await signer.guard.signVote(this.init.chainId, unsigned))
      if (signature === null) return
      vote = { ...unsigned, signature }
      await this.walWrite({ kind: 'vote', vote }, true)
    }
    this.init.sink.broadcastVote(vote)
    this.hs.votes.votes(vote.round, type).addVerified(vote)
    this.hs.votes.noteHeardFrom(vote.round, vote.validator)
  }

  private async onInput (input: Input): Promise<void> {
    const height = input.kind === 'proposal' ? input.proposal.height : input.vote.height
    const round = input.kind === 'proposal' ? input.proposal.round : input.vote.round
    if (height === this.hs.height + 1) {
      if (this.future.length < this.opts.maxFutureMessages) this.future.push(input)
      return
    }
    if (height !== this.hs.height || round > this.hs.round + this.opts.maxRoundLookahead) return
    const changed = input.kind === 'proposal'
      ? await this.onProposal(input.proposal, input.blockBytes)
      : await this.onVote(input.vote)
    if (changed) await this.evaluate()
  }

  private async onProposal (p: Proposal, blockBytes: Uint8Array): Promise<boolean> {
    // A second proposal for a round is ignored even if it differs: the proposer equivocated, and
    // the first one seen is as good as any for safety.
    if (this.hs.proposals.has(p.round)) return false
    const proposer = this.hs.valset.proposerForRound(p.round)
    if (!bytesEqual(p.proposer, proposer.address)) return false
    if (p.validRound >= p.round || p.validRound < -1) return false
    if (!ed25519Verify(proposer.publicKey, proposalSigningBytes(this.init.chainId, p), p.signature)) return false
    await this.walWrite({ kind: 'proposal', proposal: p, blockBytes }, false)
    this.hs.proposals.set(p.round, p)
    this.hs.votes.noteHeardFrom(p.round, p.proposer)
    if (!this.hs.isValid(p.blockHash)) {
      const hash = await this.init.app.validateBlock(this.hs.height, blockBytes)
      if (hash !== null && bytesEqual(hash, p.blockHash)) this.hs.addBlock(p.blockHash, blockBytes)
    }
    return true
  }

  private async onVote (vote: Vote): Promise<boolean> {
    const result = this.hs.votes.add(vote)
    if (result.status === 'conflict') {
      this.reportEvidence(result.evidence)
      return false
    }
    if (result.status !== 'added') return false
    if (!this.isMe(vote.validator)) await this.walWrite({ kind: 'vote', vote }, false)
    return true
  }

  private reportEvidence (ev: DuplicateVoteEvidence): void {
    const key = bareHex(evidenceHash(ev))
    if (this.evidenceSeen.has(key)) return
    this.evidenceSeen.add(key)
    this.log.warn({ height: ev.voteA.height, validator: bareHex(ev.voteA.validator) }, 'duplicate vote detected')
    this.init.sink.evidence?.(ev)
  }

  private async onTimeout (height: number, round: number, step: TimeoutStep): Promise<void> {
    if (height !== this.hs.height || round !== this.hs.round || this.hs.decided) return
    if (step === 'propose' && this.hs.step === 'propose') {
      await this.walWrite({ kind: 'timeout', height, round, step }, false)
      this.hs.step = 'prevote'
      await this.castVote('prevote', null) // L57
    } else if (step === 'prevote' && this.hs.step === 'prevote') {
      await this.walWrite({ kind: 'timeout', height, round, step }, false)
      this.hs.step = 'precommit'
      await this.castVote('precommit', null) // L61
    } else if (step === 'precommit') {
      await this.walWrite({ kind: 'timeout', height, round, step }, false)
      await this.startRound(round + 1) // L65
    } else {
      return
    }
    await this.evaluate()
  }

  /** Applies the upon-rules until none fires. */
  private async evaluate (): Promise<void> {
    while (!this.hs.decided && !this.stopped) {
      if (await this.evaluateOnce()) continue
      return
    }
  }

  private async evaluateOnce (): Promise<boolean> {
    // L49: a block with precommits of more than 2/3 in any round is decided.
    for (const r of this.hs.votes.roundNumbers()) {
      const maj = this.hs.votes.votes(r, 'precommit').twoThirdsMajority()
      if (maj?.hash != null && this.hs.isValid(maj.hash)) {
        await this.decide(r, maj.hash)
        return false
      }
    }
    // L55: more than 1/3 of power is already in a higher round: skip to it.
    const skip = this.hs.votes.skipTarget(this.hs.round)
    if (skip !== undefined) {
      await this.startRound(skip)
      return true
    }
    const round = this.hs.round
    const proposal = this.hs.proposals.get(round)
    const prevotes = this.hs.votes.votes(round, 'prevote')
    if (this.hs.step === 'propose' && proposal !== undefined) {
      const v = proposal.blockHash
      const vr = proposal.validRound
      if (vr === -1) {
        // L22
        const ok = this.hs.isValid(v) && (this.hs.lockedRound === -1 || this.hs.isLockedOn(v))
        this.hs.step = 'prevote'
        await this.castVote('prevote', ok ? v : null)
        return true
      }
      if (vr < round && this.hs.votes.votes(vr, 'prevote').hasTwoThirdsFor(v)) {
        // L28: a proof of lock from round vr unlocks anyone locked at or before vr.
        const ok = this.hs.isValid(v) && (this.hs.lockedRound <= vr || this.hs.isLockedOn(v))
        this.hs.step = 'prevote'
        await this.castVote('prevote', ok ? v : null)
        return true
      }
    }
    if (this.hs.step === 'prevote' && prevotes.hasTwoThirdsAny() && this.hs.once(`prevoteTimeout:${round}`)) {
      // L34
      const h = this.hs.height
      this.schedule(prevoteTimeout(this.opts, round), async () => await this.onTimeout(h, round, 'prevote'))
    }
    if (proposal !== undefined && this.hs.step !== 'propose' && this.hs.isValid(proposal.blockHash) &&
        prevotes.hasTwoThirdsFor(proposal.blockHash) && this.hs.once(`polka:${round}`)) {
      // L36
      const v = proposal.blockHash
      this.hs.validHash = v
      this.hs.validRound = round
      if (this.hs.step === 'prevote') {
        this.hs.lockedHash = v
        this.hs.lockedRound = round
        this.hs.step = 'precommit'
        await this.castVote('precommit', v)
      }
      return true
    }
    if (this.hs.step === 'prevote' && prevotes.hasTwoThirdsFor(null)) {
      // L44
      this.hs.step = 'precommit'
      await this.castVote('precommit', null)
      return true
    }
    if (this.hs.votes.votes(round, 'precommit').hasTwoThirdsAny() && this.hs.once(`precommitTimeout:${round}`)) {
      // L47
      const h = this.hs.height
      this.schedule(precommitTimeout(this.opts, round), async () => await this.onTimeout(h, round, 'precommit'))
    }
    return false
  }

  private async decide (round: number, hash: Uint8Array): Promise<void> {
    const height = this.hs.height
    const bytes = this.hs.blockBytes(hash)!
    this.hs.decided = true
    this.hs.step = 'commit'
    this.cancelTimers()
    const precommits = this.hs.votes.votes(round, 'precommit')
    const commit = buildCommit(height, round, hash, precommits.votesFor(hash))
    this.log.info({ height, round, hash: bareHex(hash) }, 'committing block')
    try {
      await this.init.app.commitBlock(height, bytes, commit)
    } catch (err) {
      // The decision stands (it is final); only applying it failed. Halt visibly and retry.
      this.log.warn({ err, height }, 'the application failed to commit a decided block; retrying')
      this.schedule(COMMIT_RETRY_MS, async () => await this.decide(round, hash))
      return
    }
    // The block is durable in the app: this height's records will never be replayed again.
    await this.init.wal.truncate(0)
    await this.init.wal.append(encodeWalRecord(encodeWalMessage({ kind: 'endHeight', height })))
    await this.init.wal.sync()
    const elapsed = this.init.clock.now() - this.hs.startedAt
    const delay = Math.max(this.opts.commitDelay, this.opts.minBlockInterval - elapsed)
    this.schedule(delay, async () => {
      // Precommits that arrived during the delay make the next block's lastCommit fuller.
      this.lastCommit = buildCommit(height, round, hash, precommits.votesFor(hash))
      await this.enterHeight(height + 1)
    })
  }
}
