/**
 * Gossip for transactions, proposals, votes and evidence. Each topic has a validator that decodes
 * and checks the message (gossipValidation.ts) and, when it is accepted, hands it on — to the
 * consensus bridge or, for transactions, into the mempool as the validation itself. The verdict
 * (accept / ignore / reject) is what gossipsub forwards on and scores the sender by.
 */
import { TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { encodeVote, encodeProposal } from '../blocks/index.js'
import type { Proposal, Tx, Vote } from '../blocks/types.js'
import { encodeEvidence, type DuplicateVoteEvidence, type ConsensusSink } from '../consensus/index.js'
import { errorMessage } from '../errors.js'
import { GossipValidationError } from './errors.js'
import {
  validateVoteMessage, validateProposalMessage, validateEvidenceMessage, admitTxMessage, encodeProposalMessage,
  decodeTxBatch, encodeTxBatch, MAX_TXS_PER_MESSAGE, type GossipChainView
} from './gossipValidation.js'
import type { Topics } from './topics.js'
import type { SyncLog } from './blockSync.js'

export interface GossipTargets {
  receiveProposal: (proposal: Proposal, blockBytes: Uint8Array) => void
  receiveVote: (vote: Vote) => void
  /** Admits a transaction to the pool (`tx` is its decoded form when checkTxs already decoded it). */
  addTx: (bytes: Uint8Array, tx?: Tx) => Promise<unknown>
  /**
   * Stateless checks of a batch of transactions (decoding, chain, fee, size, signatures); resolves
   * to them decoded, or throws if any is invalid.
   */
  checkTxs?: (txs: Uint8Array[]) => Promise<Tx[]>
  evidence: (ev: DuplicateVoteEvidence) => void
  /** A valid message for a height we have not reached: we may be behind. */
  aheadHint: (height: number) => void
  /** An accepted consensus message, kept for peers that missed it (recentMessages.ts). */
  record: (height: number, kind: 'vote' | 'proposal', data: Uint8Array) => void
}

export type Verdict = 'accept' | 'ignore' | 'reject'


export interface GossipCounters {
  accepted: number
  ignored: number
  rejected: number
}

/** Transactions admitted per turn of the event loop, and the most waiting. */
const TX_BATCH = 32
const TX_BACKLOG_LIMIT = 4096

export interface TxGossipOptions {
  /** Our own transactions wait at most this long to be gossiped together. */
  batchMs: number
  /** Bytes of one transaction message (the batch is sent early when the next would not fit). */
  maxBytes: number
}

export class ConsensusGossip {
  readonly counters: GossipCounters = { accepted: 0, ignored: 0, rejected: 0 }

  constructor (
    private readonly pubsub: GossipSub,
    private readonly topics: Topics,
    private readonly view: GossipChainView,
    private readonly targets: GossipTargets,
    private readonly log: SyncLog,
    private readonly txOptions: TxGossipOptions
  ) {}

  private readonly handlers = new Map<string, (data: Uint8Array) => Promise<void>>()

  start (): void {
    const { topics, view, targets } = this
    this.handlers.set(topics.vote, async (data) => {
      const vote = validateVoteMessage(view, data)
      this.noteHeight(vote.height)
      targets.record(vote.height, 'vote', data)
      targets.receiveVote(vote)
    })
    this.handlers.set(topics.proposal, async (data) => {
      const m = validateProposalMessage(view, data)
      this.noteHeight(m.proposal.height)
      targets.record(m.proposal.height, 'proposal', data)
      targets.receiveProposal(m.proposal, m.blockBytes)
    })
    this.handlers.set(topics.evidence, async (data) => {
      targets.evidence(validateEvidenceMessage(view, data))
    })
    this.handlers.set(topics.tx, async (data) => {
      const txs = decodeTxBatch(data, this.txOptions.maxBytes)
      if (targets.checkTxs !== undefined) {
        // Rule: every transaction of a batch is valid on its face, or the sender relayed garbage
        let decoded: Tx[]
        try {
          decoded = await targets.checkTxs(txs)
        } catch (err) {
          throw new GossipValidationError('reject', 'INVALID_TX', `transaction: ${errorMessage(err)}`)
        }
        // relay the batch now, admit its transactions to the pool in the background
        decoded.forEach((tx, i) => { this.queueTx(txs[i], tx) })
        return
      }
      let admitted = 0
      let refusal: GossipValidationError | undefined
      for (const tx of txs) {
        try {
          await admitTxMessage(targets.addTx, tx)
          admitted++
        } catch (err) {
          if (err instanceof GossipValidationError && err.action === 'reject') throw err
          refusal = err as GossipValidationError
        }
      }
      if (admitted === 0 && refusal !== undefined) throw refusal
    })
    for (const t of topics.all) {
      this.pubsub.topicValidators.set(t, async (peer: PeerId, msg: Message) => {
        const verdict = await this.ingest(t, msg.data, peer.toString())
        return verdict === 'accept' ? TopicValidatorResult.Accept : verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
      })
      this.pubsub.subscribe(t)
    }
  }

  private readonly txBacklog: Array<{ bytes: Uint8Array, tx: Tx }> = []
  private txDrainScheduled = false

  /**
   * A validator that waited on mempool admission would keep gossipsub from forwarding the batch
   * and hold the event loop for the whole batch. Transactions are therefore only checked
   * statelessly in the validator (signatures on worker threads) and admitted here, a slice per turn
   * of the event loop; past the backlog limit they are dropped (the pool is best effort, and the
   * transaction's origin node still holds it).
   */
  private queueTx (bytes: Uint8Array, tx: Tx): void {
    if (this.txBacklog.length >= TX_BACKLOG_LIMIT) {
      this.counters.ignored++
      return
    }
    this.txBacklog.push({ bytes, tx })
    this.scheduleTxDrain()
  }

  private scheduleTxDrain (): void {
    if (this.txDrainScheduled) return
    this.txDrainScheduled = true
    setImmediate(() => {
      this.txDrainScheduled = false
      void this.drainTxs()
    })
  }

  private async drainTxs (): Promise<void> {
    const batch = this.txBacklog.splice(0, TX_BATCH)
    for (const { bytes, tx } of batch) {
      try {
        await this.targets.addTx(bytes, tx)
      } catch {
        // not admitted (nonce, balance, duplicate): the stateless checks already passed
      }
    }
    if (this.txBacklog.length > 0) this.scheduleTxDrain()
  }

  /** Validates and hands on one message of `topic` — from gossip, or pulled from a peer. */
  async ingest (topic: string, data: Uint8Array, peer: string): Promise<Verdict> {
    const handle = this.handlers.get(topic)
    if (handle === undefined) return 'ignore'
    try {
      await handle(data)
      this.counters.accepted++
      return 'accept'
    } catch (err) {
      if (err instanceof GossipValidationError) {
        if (err.code === 'FUTURE' && typeof err.meta.height === 'number') this.targets.aheadHint(err.meta.height)
        if (err.action === 'reject') {
          this.counters.rejected++
          this.log.debug({ topic, peer, code: err.code, err: err.message }, 'rejected gossip message')
          return 'reject'
        }
        this.counters.ignored++
        return 'ignore'
      }
      // a fault of ours, not the sender's: never punish a peer for it
      this.counters.ignored++
      this.log.warn({ topic, err: errorMessage(err) }, 'gossip validation failed unexpectedly')
      return 'ignore'
    }
  }

  stop (): void {
    this.dropOutbox()
    for (const t of this.topics.all) {
      this.pubsub.topicValidators.delete(t)
      try {
        this.pubsub.unsubscribe(t)
      } catch {}
    }
  }

  /** Outbound consensus messages, to register with the consensus bridge. */
  sink (): ConsensusSink {
    return {
      broadcastProposal: (p, bytes) => {
        const data = encodeProposalMessage(encodeProposal(p), bytes)
        this.targets.record(p.height, 'proposal', data)
        this.publish(this.topics.proposal, data)
      },
      broadcastVote: (v) => {
        const data = encodeVote(v)
        this.targets.record(v.height, 'vote', data)
        this.publish(this.topics.vote, data)
      },
      evidence: (ev) => { this.publish(this.topics.evidence, encodeEvidence(ev)) }
    }
  }

  private outbox: Uint8Array[] = []
  private outboxBytes = 0
  private outboxTimer: NodeJS.Timeout | undefined

  /**
   * Queues one of our own transactions (from a client, or made by this node) for gossip. They go
   * out together after `batchMs`, or at once when a message is full; peers relay the batch as it
   * is and never re-gossip its transactions one by one.
   */
  publishTx (bytes: Uint8Array): void {
    // an RLP list item costs at most 5 bytes of header (transactions are far below 4 GiB)
    if (this.outbox.length >= MAX_TXS_PER_MESSAGE || this.outboxBytes + bytes.length + 5 > this.txOptions.maxBytes - 9) this.flushTxs()
    this.outbox.push(bytes)
    this.outboxBytes += bytes.length + 5
    this.outboxTimer ??= setTimeout(() => { this.flushTxs() }, this.txOptions.batchMs)
  }

  /** Gossips the queued transactions now (one message). */
  flushTxs (): void {
    const batch = this.dropOutbox()
    if (batch.length > 0) this.publish(this.topics.tx, encodeTxBatch(batch))
  }

  /** Empties the outbox and cancels its timer; returns what it held. */
  private dropOutbox (): Uint8Array[] {
    if (this.outboxTimer !== undefined) clearTimeout(this.outboxTimer)
    this.outboxTimer = undefined
    const batch = this.outbox
    this.outbox = []
    this.outboxBytes = 0
    return batch
  }

  private publish (topic: string, data: Uint8Array): void {
    this.pubsub.publish(topic, data).catch((err) => {
      this.log.debug({ topic, err: errorMessage(err) }, 'publish failed')
    })
  }

  private noteHeight (height: number): void {
    if (height > this.view.headHeight() + 1) this.targets.aheadHint(height)
  }
}
