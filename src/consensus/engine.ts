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
import { bytesEqual } from '../codec/hex.js'
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
import type { ConsensusApp, ConsensusClock, ConsensusLogger, ConsensusSink, ConsensusStatus, RoundStep } from './types.js'
import { HeightVoteSet } from './voteSet.js'
import { bytesToHex } from './validatorSet.js'
import type { ValidatorSet } from './validatorSet.js'
import { encodeWalRecord, readWalRecords } from './wal.js'
import type { WalBackend } from './wal.js'
import { decodeWalMessage, encodeWalMessage, walMessageHeight } from './walMessages.js'
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

  private height = 0
  private round = 0
  private step: RoundStep = 'propose'
  private valset!: ValidatorSet
  private votes!: HeightVoteSet
  private proposals = new Map<number, Proposal>()
  /** Validated blocks of this height by hash: valid(v) holds exactly for these. */
  private blocks = new Map<string, Uint8Array>()
  private lockedRound = -1
  private lockedHash: Uint8Array | null = null
  private validRound = -1
  private validHash: Uint8Array | null = null
  private decided = false
  private heightStartedAt = 0
  private lastCommit: Commit | null
  private readonly firedOnce = new Set<string>()
  private ownProposals = new Map<number, { proposal: Proposal, blockBytes: Uint8Array }>()
  /** Own votes found in the WAL at start: replay re-sends them rather than asking the guard. */
  private ownVotes = new Map<string, Vote>()
  private future: Input[] = []
  private readonly evidenceSeen = new Set<string>()

  constructor (init: ConsensusEngineInit) {
    this.init = init
    this.opts = resolveConsensusOptions(init.options)
    this.log = init.logger ?? silentLogger
    this.lastCommit = init.lastCommit
  }

  get status (): ConsensusStatus {
    return {
      height: this.height,
      round: this.round,
      step: this.step,
      lockedRound: this.lockedRound,
      lockedHash: this.lockedHash,
      validRound: this.validRound,
      validHash: this.validHash
    }
  }

  /** Recovers the WAL (truncating a torn tail), replays the current height and starts round 0. */
  async start (): Promise<void> {
    this.stopped = false
    await this.enqueue(async () => {
      const replay = await this.recoverWal()
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
        this.log.warn({ err, height: this.height, round: this.round }, 'consensus input failed')
      } finally {
        this.pending--
      }
    })
    this.queue = run
    await run
  }

  private async recoverWal (): Promise<WalMessage[]> {
    const { wal } = this.init
    const read = readWalRecords(await wal.readAll())
    if (read.tail !== null) {
      this.log.warn({ offset: read.tail.offset, reason: read.tail.reason }, 'truncating the consensus WAL after a torn or corrupt tail')
      await wal.truncate(read.validLength)
    }
    const out: WalMessage[] = []
    for (const record of read.records) {
      let m: WalMessage
      try {
        m = decodeWalMessage(record)
      } catch (err) {
        this.log.warn({ err }, 'skipping an undecodable WAL record')
        continue
      }
      if (walMessageHeight(m) === this.init.height && m.kind !== 'endHeight') out.push(m)
    }
    return out
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

  private once (key: string): boolean {
    if (this.firedOnce.has(key)) return false
    this.firedOnce.add(key)
    return true
  }

  private async enterHeight (height: number): Promise<void> {
    this.cancelTimers()
    this.height = height
    this.valset = this.init.app.validatorSet(height)
    this.votes = new HeightVoteSet(this.init.chainId, height, this.valset)
    this.proposals.clear()
    this.blocks.clear()
    this.firedOnce.clear()
    this.lockedRound = -1
    this.lockedHash = null
    this.validRound = -1
    this.validHash = null
    this.decided = false
    if (height !== this.init.height) {
      this.ownProposals.clear()
      this.ownVotes.clear()
    }
    this.heightStartedAt = this.init.clock.now()
    this.log.debug({ height }, 'entering height')
    await this.startRound(0)
    const buffered = this.future
    this.future = []
    for (const input of buffered) await this.onInput(input)
    await this.evaluate()
  }

  /** L11: StartRound. */
  private async startRound (round: number): Promise<void> {
    this.round = round
    this.step = 'propose'
    const proposer = this.valset.proposerForRound(round)
    if (this.isMe(proposer.address) && this.valset.get(proposer.address) !== undefined) {
      await this.propose(round)
    } else {
      const h = this.height
      this.schedule(proposeTimeout(this.opts, round), async () => await this.onTimeout(h, round, 'propose'))
    }
  }

  private async propose (round: number): Promise<void> {
    const signer = this.init.signer!
    let made: { proposal: Proposal, blockBytes: Uint8Array } | undefined = this.ownProposals.get(round)
    if (made === undefined) {
      let hash: Uint8Array
      let bytes: Uint8Array
      let validRound = -1
      const validBytes = this.validHash === null ? undefined : this.blocks.get(bytesToHex(this.validHash))
      if (this.validHash !== null && validBytes !== undefined) {
        // L15: re-propose the value that had a polka, with its round as proof of lock.
        hash = this.validHash
        bytes = validBytes
        validRound = this.validRound
      } else {
        ({ hash, bytes } = await this.init.app.proposeBlock(this.height, round, this.lastCommit))
      }
      const unsigned = { height: this.height, round, validRound, blockHash: hash, proposer: signer.address }
      const signature = await this.signOrNull(async () => await signer.guard.signProposal(this.init.chainId, unsigned))
      if (signature === null) return
      made = { proposal: { ...unsigned, signature }, blockBytes: bytes }
      await this.walWrite({ kind: 'proposal', ...made }, true)
    }
    this.init.sink.broadcastProposal(made.proposal, made.blockBytes)
    this.proposals.set(round, made.proposal)
    this.blocks.set(bytesToHex(made.proposal.blockHash), made.blockBytes)
    this.votes.noteHeardFrom(round, signer.address)
  }

  private async signOrNull (sign: () => Promise<Uint8Array>): Promise<Uint8Array | null> {
    try {
      return await sign()
    } catch (err) {
      this.log.warn({ err, height: this.height, round: this.round }, 'the sign guard refused to sign')
      return null
    }
  }

  private async castVote (type: VoteType, blockHash: Uint8Array | null): Promise<void> {
    const signer = this.init.signer
    if (signer === undefined || this.valset.get(signer.address) === undefined) return
    const logged = this.ownVotes.get(`${this.round}/${type}`)
    let vote: Vote
    if (logged !== undefined) {
      // Replaying: the guard has moved past this step, but the vote is already signed and logged.
      const same = logged.blockHash === null ? blockHash === null : blockHash !== null && bytesEqual(logged.blockHash, blockHash)
      if (!same) {
        this.log.warn({ height: this.height, round: this.round, type }, 'replay diverged from the WAL; not voting')
        return
      }
      vote = logged
    } else {
      const unsigned = { type, height: this.height, round: this.round, blockHash, validator: signer.address }
      const signature = await this.signOrNull(async () => await signer.guard.signVote(this.init.chainId, unsigned))
      if (signature === null) return
      vote = { ...unsigned, signature }
      await this.walWrite({ kind: 'vote', vote }, true)
    }
    this.init.sink.broadcastVote(vote)
    this.votes.votes(vote.round, type).addVerified(vote)
    this.votes.noteHeardFrom(vote.round, vote.validator)
  }

  private async onInput (input: Input): Promise<void> {
    const height = input.kind === 'proposal' ? input.proposal.height : input.vote.height
    const round = input.kind === 'proposal' ? input.proposal.round : input.vote.round
    if (height === this.height + 1) {
      if (this.future.length < this.opts.maxFutureMessages) this.future.push(input)
      return
    }
    if (height !== this.height || round > this.round + this.opts.maxRoundLookahead) return
    const changed = input.kind === 'proposal'
      ? await this.onProposal(input.proposal, input.blockBytes)
      : await this.onVote(input.vote)
    if (changed) await this.evaluate()
  }

  private async onProposal (p: Proposal, blockBytes: Uint8Array): Promise<boolean> {
    // A second proposal for a round is ignored even if it differs: the proposer equivocated, and
    // the first one seen is as good as any for safety.
    if (this.proposals.has(p.round)) return false
    const proposer = this.valset.proposerForRound(p.round)
    if (!bytesEqual(p.proposer, proposer.address)) return false
    if (p.validRound >= p.round || p.validRound < -1) return false
    if (!ed25519Verify(proposer.publicKey, proposalSigningBytes(this.init.chainId, p), p.signature)) return false
    await this.walWrite({ kind: 'proposal', proposal: p, blockBytes }, false)
    this.proposals.set(p.round, p)
    this.votes.noteHeardFrom(p.round, p.proposer)
    const key = bytesToHex(p.blockHash)
    if (!this.blocks.has(key)) {
      const hash = await this.init.app.validateBlock(this.height, blockBytes)
      if (hash !== null && bytesEqual(hash, p.blockHash)) this.blocks.set(key, blockBytes)
    }
    return true
  }

  private async onVote (vote: Vote): Promise<boolean> {
    const result = this.votes.add(vote)
    if (result.status === 'conflict') {
      this.reportEvidence(result.evidence)
      return false
    }
    if (result.status !== 'added') return false
    if (!this.isMe(vote.validator)) await this.walWrite({ kind: 'vote', vote }, false)
    return true
  }

  private reportEvidence (ev: DuplicateVoteEvidence): void {
    const key = bytesToHex(evidenceHash(ev))
    if (this.evidenceSeen.has(key)) return
    this.evidenceSeen.add(key)
    this.log.warn({ height: ev.voteA.height, validator: bytesToHex(ev.voteA.validator) }, 'duplicate vote detected')
    this.init.sink.evidence?.(ev)
  }

  private async onTimeout (height: number, round: number, step: TimeoutStep): Promise<void> {
    if (height !== this.height || round !== this.round || this.decided) return
    if (step === 'propose' && this.step === 'propose') {
      await this.walWrite({ kind: 'timeout', height, round, step }, false)
      this.step = 'prevote'
      await this.castVote('prevote', null) // L57
    } else if (step === 'prevote' && this.step === 'prevote') {
      await this.walWrite({ kind: 'timeout', height, round, step }, false)
      this.step = 'precommit'
      await this.castVote('precommit', null) // L61
    } else if (step === 'precommit') {
      await this.walWrite({ kind: 'timeout', height, round, step }, false)
      await this.startRound(round + 1) // L65
    } else {
      return
    }
    await this.evaluate()
  }

  private isValid (hash: Uint8Array): boolean {
    return this.blocks.has(bytesToHex(hash))
  }

  /** Applies the upon-rules until none fires. */
  private async evaluate (): Promise<void> {
    while (!this.decided && !this.stopped) {
      if (await this.evaluateOnce()) continue
      return
    }
  }

  private async evaluateOnce (): Promise<boolean> {
    // L49: a block with precommits of more than 2/3 in any round is decided.
    for (const r of this.votes.roundNumbers()) {
      const maj = this.votes.votes(r, 'precommit').twoThirdsMajority()
      if (maj?.hash != null && this.isValid(maj.hash)) {
        await this.decide(r, maj.hash)
        return false
      }
    }
    // L55: more than 1/3 of power is already in a higher round: skip to it.
    const skip = this.votes.skipTarget(this.round)
    if (skip !== undefined) {
      await this.startRound(skip)
      return true
    }
    const round = this.round
    const proposal = this.proposals.get(round)
    const prevotes = this.votes.votes(round, 'prevote')
    if (this.step === 'propose' && proposal !== undefined) {
      const v = proposal.blockHash
      const vr = proposal.validRound
      if (vr === -1) {
        // L22
        const ok = this.isValid(v) && (this.lockedRound === -1 || (this.lockedHash !== null && bytesEqual(this.lockedHash, v)))
        this.step = 'prevote'
        await this.castVote('prevote', ok ? v : null)
        return true
      }
      if (vr < round && this.votes.votes(vr, 'prevote').hasTwoThirdsFor(v)) {
        // L28: a proof of lock from round vr unlocks anyone locked at or before vr.
        const ok = this.isValid(v) && (this.lockedRound <= vr || (this.lockedHash !== null && bytesEqual(this.lockedHash, v)))
        this.step = 'prevote'
        await this.castVote('prevote', ok ? v : null)
        return true
      }
    }
    if (this.step === 'prevote' && prevotes.hasTwoThirdsAny() && this.once(`prevoteTimeout:${round}`)) {
      // L34
      const h = this.height
      this.schedule(prevoteTimeout(this.opts, round), async () => await this.onTimeout(h, round, 'prevote'))
    }
    if (proposal !== undefined && this.step !== 'propose' && this.isValid(proposal.blockHash) &&
        prevotes.hasTwoThirdsFor(proposal.blockHash) && this.once(`polka:${round}`)) {
      // L36
      const v = proposal.blockHash
      this.validHash = v
      this.validRound = round
      if (this.step === 'prevote') {
        this.lockedHash = v
        this.lockedRound = round
        this.step = 'precommit'
        await this.castVote('precommit', v)
      }
      return true
    }
    if (this.step === 'prevote' && prevotes.hasTwoThirdsFor(null)) {
      // L44
      this.step = 'precommit'
      await this.castVote('precommit', null)
      return true
    }
    if (this.votes.votes(round, 'precommit').hasTwoThirdsAny() && this.once(`precommitTimeout:${round}`)) {
      // L47
      const h = this.height
      this.schedule(precommitTimeout(this.opts, round), async () => await this.onTimeout(h, round, 'precommit'))
    }
    return false
  }

  private async decide (round: number, hash: Uint8Array): Promise<void> {
    const height = this.height
    const bytes = this.blocks.get(bytesToHex(hash))!
    this.decided = true
    this.step = 'commit'
    this.cancelTimers()
    const precommits = this.votes.votes(round, 'precommit')
    const commit = buildCommit(height, round, hash, precommits.votesFor(hash))
    this.log.info({ height, round, hash: bytesToHex(hash) }, 'committing block')
    await this.init.app.commitBlock(height, bytes, commit)
    // The block is durable in the app: this height's records will never be replayed again.
    await this.init.wal.truncate(0)
    await this.init.wal.append(encodeWalRecord(encodeWalMessage({ kind: 'endHeight', height })))
    await this.init.wal.sync()
    const elapsed = this.init.clock.now() - this.heightStartedAt
    const delay = Math.max(this.opts.commitDelay, this.opts.minBlockInterval - elapsed)
    this.schedule(delay, async () => {
      // Precommits that arrived during the delay make the next block's lastCommit fuller.
      this.lastCommit = buildCommit(height, round, hash, precommits.votesFor(hash))
      await this.enterHeight(height + 1)
    })
  }
}
