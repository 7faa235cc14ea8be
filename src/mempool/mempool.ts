/**
 * The pool of pending transactions (MISSION.md §6). Admission checks the signature, chain id, fee,
 * nonce and balance against the latest committed state plus the sender's pending transactions;
 * each sender's transactions form a gap-free nonce sequence; proposers take transactions by fee
 * while keeping each sender's nonce order; when full, the lowest-fee tail transaction is evicted.
 * The pool emits events and knows nothing of the network.
 */
import type { Tx } from '../blocks/types.js'
import { decodeTx, encodeTx, txId, txSender, txSigningBytes, validateTxStateless } from '../blocks/index.js'
import type { SignatureCheck } from '../crypto/verifier.js'
import { binaryKey, bytesEqual, toHex } from '../codec/index.js'
import { type ChainParams, minFee, txHandler } from '../state/index.js'
import { isFolioError, errorMessage } from '../errors.js'
import { MempoolError } from './errors.js'
import { type MempoolOptions, DEFAULT_MEMPOOL_OPTIONS } from './options.js'

/** What the pool needs from the chain, injected so the pool can be tested alone. */
export interface MempoolChain {
  chainId: string
  params: ChainParams
  /** Committed balance and nonce. */
  account: (address: Uint8Array) => Promise<{ balance: bigint, nonce: bigint }>
  isCommitted: (id: Uint8Array) => Promise<boolean>
  /** Runs the transaction against committed state; throws when its body would be rejected. */
  dryRun?: (tx: Tx) => Promise<void>
  /** Checks many signatures at once, off the event loop (src/crypto/verifier.ts); for gossiped batches. */
  verifier?: { verifyMany: (checks: SignatureCheck[]) => Promise<boolean[]> }
}

export interface PendingTx {
  tx: Tx
  bytes: Uint8Array
  id: Uint8Array
  idHex: string
  sender: string
  size: number
  /** fee plus the most the body can spend */
  cost: bigint
  seq: number
  /** Relayed by a peer (already gossiped), rather than submitted here. */
  fromPeer: boolean
}

type Listener = (p: PendingTx) => void

export interface AddOptions {
  /**
   * Run the body against committed state first (default true). The node that first admitted a
   * transaction did this for its sender; relays of gossip skip it to keep admission cheap.
   */
  dryRun?: boolean
  /** The transaction came from a peer's gossip: the network has it, this node need not gossip it. */
  fromPeer?: boolean
}

/** Pools' worth of transactions one generation of the stateless-check memo holds. */
const MEMO_POOLS = 4

export class Mempool {
  private readonly byId = new Map<string, PendingTx>()
  private readonly bySender = new Map<string, PendingTx[]>()
  private totalBytes = 0
  /** A lower bound of the pending fees (exact after each makeRoom), for the cheap refusal above. */
  private lowestFee: bigint | undefined
  private seq = 0
  /** Bumped by every recheck (a block was committed): admissions in flight re-read state. */
  private stateEpoch = 0
  private readonly addedListeners: Listener[] = []
  private readonly removedListeners: Listener[] = []
  readonly opts: MempoolOptions

  constructor (private readonly chain: MempoolChain, opts: Partial<MempoolOptions> = {}) {
    this.opts = { ...DEFAULT_MEMPOOL_OPTIONS, ...opts }
  }

  get size (): number { return this.byId.size }
  get bytes (): number { return this.totalBytes }

  onAdded (fn: Listener): void { this.addedListeners.push(fn) }
  onRemoved (fn: Listener): void { this.removedListeners.push(fn) }

  /** True when this exact transaction (id and signature) already passed the stateless checks here. */
  verified (tx: Tx): boolean {
    return this.passedStateless(statelessKey(tx), tx)
  }

  has (id: Uint8Array | string): boolean {
    return this.byId.has(typeof id === 'string' ? id : toHex(id))
  }

  get (id: Uint8Array): PendingTx | undefined {
    return this.byId.get(toHex(id))
  }

  /** Admits encoded bytes (from RPC or gossip). Throws MempoolError with a reason a person can act on. */
  async addBytes (bytes: Uint8Array, opts: AddOptions = {}): Promise<PendingTx> {
    return await this.add(this.decode(bytes), bytes, opts)
  }

  /**
   * The stateless checks of a batch (a gossip message), with the signatures checked together on
   * the verifier's worker threads when the pool has one. Throws MempoolError INVALID (or
   * FEE_TOO_LOW) for the first transaction that fails; otherwise returns them decoded, remembered
   * as checked.
   */
  async checkStatelessMany (list: Uint8Array[]): Promise<Tx[]> {
    const verifier = this.chain.verifier
    const txs = list.map(bytes => this.decode(bytes))
    const unsigned: Tx[] = []
    for (const tx of txs) {
      const key = statelessKey(tx)
      if (this.passedStateless(key, tx)) continue
      this.applyStatelessRules(tx, verifier !== undefined)
      if (verifier === undefined) this.noteStatelessOk(key, tx)
      else unsigned.push(tx)
    }
    if (verifier !== undefined && unsigned.length > 0) {
      const checks = unsigned.map(tx => ({ publicKey: tx.from, message: txSigningBytes(tx), signature: tx.signature }))
      const valid = await verifier.verifyMany(checks)
      const bad = valid.indexOf(false)
      if (bad >= 0) {
        throw new MempoolError('INVALID', `signature does not verify for sender ${toHex(unsigned[bad].from)} over transaction ${toHex(txId(unsigned[bad]))}`)
      }
      for (const tx of unsigned) this.noteStatelessOk(statelessKey(tx), tx)
    }
    return txs
  }

  private decode (bytes: Uint8Array): Tx {
    try {
      return decodeTx(bytes, { maxBytes: this.chain.params.maxTxBytes })
    } catch (err) {
      throw new MempoolError('INVALID', `transaction does not decode: ${errorMessage(err)}`)
    }
  }

  /**
   * Transactions that passed the stateless checks, in two generations: when the newer one is full
   * it becomes the older and the oldest is dropped, so a transaction checked a moment ago (and not
   * yet in a block) is never forgotten all at once. A generation holds four pools' worth
   * (`MEMO_POOLS`): a transaction gossip brought while this pool was full waits in another
   * validator's pool, and when it comes back in a proposal its signature should not be checked
   * again on the consensus path.
   */
  private statelessOk = new Map<string, Uint8Array>()
  private statelessOkBefore = new Map<string, Uint8Array>()

  private validateStateless (tx: Tx): void {
    const key = statelessKey(tx)
    if (this.passedStateless(key, tx)) return
    this.applyStatelessRules(tx, false)
    this.noteStatelessOk(key, tx)
  }

  private applyStatelessRules (tx: Tx, skipSignature: boolean): void {
    const { params, chainId } = this.chain
    try {
      validateTxStateless(tx, { chainId, minFee: n => minFee(params, n), maxTxBytes: params.maxTxBytes, skipSignature })
    } catch (err) {
      const code = isFolioError(err) && err.code === 'FEE_TOO_LOW' ? 'FEE_TOO_LOW' : 'INVALID'
      throw new MempoolError(code, errorMessage(err))
    }
  }

  /**
   * Keyed by the transaction's id (`statelessKey`), which covers every field but the signature;
   * the signature is the value, compared on a hit. (A hex id-and-signature key cost about three
   * times as much per lookup: V8 built and hashed a 192-character string.)
   */
  private passedStateless (key: string, tx: Tx): boolean {
    const signature = this.statelessOk.get(key) ?? this.statelessOkBefore.get(key)
    return signature !== undefined && bytesEqual(signature, tx.signature)
  }

  private noteStatelessOk (key: string, tx: Tx): void {
    if (this.statelessOk.size >= MEMO_POOLS * this.opts.maxTxs) {
      this.statelessOkBefore = this.statelessOk
      this.statelessOk = new Map()
    }
    this.statelessOk.set(key, tx.signature)
  }

  async add (tx: Tx, encoded?: Uint8Array, opts: AddOptions = {}): Promise<PendingTx> {
    const bytes = encoded ?? encodeTx(tx)
    // Under overload, refuse what could never displace anything before paying for its signature
    // check: admission work must not starve block production.
    if (this.byId.size >= this.opts.maxTxs && this.lowestFee !== undefined && tx.fee <= this.lowestFee) {
      throw new MempoolError('FULL', `the pool is full (${this.byId.size} transactions) and holds none with a fee below ${tx.fee}; raise the fee or retry later`)
    }
    this.validateStateless(tx)
    const id = txId(tx)
    const idHex = toHex(id)
    if (this.byId.has(idHex)) throw new MempoolError('DUPLICATE', `transaction ${idHex} is already pending`)
    let handler
    try {
      handler = txHandler(tx.type)
    } catch (err) {
      throw new MempoolError('INVALID', errorMessage(err))
    }

    const senderAddr = txSender(tx)
    const sender = toHex(senderAddr)
    // a block committed while this admission awaited state (recheck bumps the epoch) may have
    // included this very transaction: decide again against the new state
    const epoch = this.stateEpoch
    const account = await this.chain.account(senderAddr)
    const queue = this.bySender.get(sender) ?? []
    const expected = account.nonce + BigInt(queue.length)
    if (tx.nonce < account.nonce) {
      // a committed transaction always has a used nonce, so the index is read only on this path
      if (await this.chain.isCommitted(id)) throw new MempoolError('ALREADY_COMMITTED', `transaction ${idHex} is already committed`)
      throw new MempoolError('NONCE_TOO_LOW', `nonce ${tx.nonce} already used; next is ${expected}`)
    }
    if (tx.nonce < expected) {
      throw new MempoolError('DUPLICATE', `nonce ${tx.nonce} already has a pending transaction; next is ${expected}`)
    }
    if (tx.nonce > expected) throw new MempoolError('NONCE_GAP', `nonce ${tx.nonce} expected ${expected}`)
    if (queue.length >= this.opts.maxPerSender) {
      throw new MempoolError('SENDER_LIMIT', `sender already has ${queue.length} pending transactions (limit ${this.opts.maxPerSender})`)
    }
    const spend = handler.spend?.(tx) ?? 0n
    const cost = tx.fee + (spend > 0n ? spend : 0n)
    const pendingCost = queue.reduce((s, p) => s + p.cost, 0n)
    if (account.balance < pendingCost + cost) {
      throw new MempoolError('INSUFFICIENT_FUNDS',
        `balance ${account.balance} ufol cannot cover ${cost} ufol on top of ${pendingCost} ufol pending`)
    }
    if (queue.length === 0 && this.chain.dryRun != null && opts.dryRun !== false) {
      try {
        await this.chain.dryRun(tx)
      } catch (err) {
        throw new MempoolError('REJECTED', errorMessage(err), { cause: isFolioError(err) ? err.code : undefined })
      }
    }
    if (epoch !== this.stateEpoch) return await this.add(tx, bytes, opts)
    const entry: PendingTx = { tx, bytes, id, idHex, sender, size: bytes.length, cost, seq: this.seq++, fromPeer: opts.fromPeer === true }
    this.makeRoom(entry)
    // re-read: an eviction may have shortened this sender's queue only from its tail, never below `expected`
    const q = this.bySender.get(sender) ?? []
    if (q.length !== queue.length) throw new MempoolError('FULL', 'the pool is full of higher-fee transactions; raise the fee')
    q.push(entry)
    if (this.lowestFee === undefined || entry.tx.fee < this.lowestFee) this.lowestFee = entry.tx.fee
    this.bySender.set(sender, q)
    this.byId.set(idHex, entry)
    this.totalBytes += entry.size
    for (const fn of this.addedListeners) fn(entry)
    return entry
  }

  /** Evicts lowest-fee tail transactions until `entry` fits, or refuses it. */
  private makeRoom (entry: PendingTx): void {
    const fits = (): boolean => this.byId.size + 1 <= this.opts.maxTxs && this.totalBytes + entry.size <= this.opts.maxBytes
    while (!fits()) {
      let victim: PendingTx | undefined
      for (const q of this.bySender.values()) {
        const tail = q[q.length - 1]
        if (tail.sender === entry.sender) continue
        if (victim === undefined || tail.tx.fee < victim.tx.fee) victim = tail
      }
      this.lowestFee = victim?.tx.fee
      if (victim === undefined || victim.tx.fee >= entry.tx.fee) {
        throw new MempoolError('FULL', `the pool is full and holds no transaction with a fee below ${entry.tx.fee}; raise the fee`)
      }
      this.remove(victim)
    }
  }

  private remove (p: PendingTx): void {
    if (!this.byId.delete(p.idHex)) return
    if (this.byId.size === 0) this.lowestFee = undefined
    this.totalBytes -= p.size
    const q = this.bySender.get(p.sender)
    if (q != null) {
      const i = q.indexOf(p)
      if (i >= 0) q.splice(i, 1)
      if (q.length === 0) this.bySender.delete(p.sender)
    }
    for (const fn of this.removedListeners) fn(p)
  }

  /**
   * Picks transactions for a block: highest fee first across senders, each sender's in nonce order,
   * within the byte and count limits.
   */
  select (maxBytes: number, maxTxs: number): PendingTx[] {
    const heads: Array<{ q: PendingTx[], i: number }> = []
    for (const q of this.bySender.values()) heads.push({ q, i: 0 })
    const better = (a: PendingTx, b: PendingTx): boolean => a.tx.fee > b.tx.fee || (a.tx.fee === b.tx.fee && a.seq < b.seq)
    // binary max-heap on each sender's next transaction
    const heap = heads
    const up = (k: number): void => {
      while (k > 0) {
        const p = (k - 1) >> 1
        if (!better(heap[k].q[heap[k].i], heap[p].q[heap[p].i])) break;
        [heap[k], heap[p]] = [heap[p], heap[k]]
        k = p
      }
    }
    const down = (k: number): void => {
      for (;;) {
        const l = 2 * k + 1
        const r = l + 1
        let m = k
        if (l < heap.length && better(heap[l].q[heap[l].i], heap[m].q[heap[m].i])) m = l
        if (r < heap.length && better(heap[r].q[heap[r].i], heap[m].q[heap[m].i])) m = r
        if (m === k) return;
        [heap[k], heap[m]] = [heap[m], heap[k]]
        k = m
      }
    }
    for (let k = heap.length >> 1; k >= 0; k--) down(k)
    const out: PendingTx[] = []
    let bytes = 0
    while (heap.length > 0 && out.length < maxTxs) {
      const top = heap[0]
      const p = top.q[top.i]
      if (bytes + p.size > maxBytes) {
        // this sender's sequence stops here; others may still fit
        heap[0] = heap[heap.length - 1]
        heap.pop()
        down(0)
        continue
      }
      out.push(p)
      bytes += p.size
      top.i++
      if (top.i >= top.q.length) {
        heap[0] = heap[heap.length - 1]
        heap.pop()
      }
      if (heap.length > 0) down(0)
    }
    void up
    return out
  }

  /**
   * After a block: drops what it included, then re-checks every remaining transaction of the
   * senders it touched against the new committed state.
   */
  async recheck (includedIds: Uint8Array[], touchedSenders: Uint8Array[]): Promise<void> {
    this.stateEpoch++
    for (const id of includedIds) {
      const p = this.byId.get(toHex(id))
      if (p != null) this.remove(p)
    }
    const senders = new Set(touchedSenders.map(s => toHex(s)))
    for (const sender of senders) {
      const q = this.bySender.get(sender)
      if (q == null) continue
      const account = await this.chain.account(q[0] !== undefined ? txSender(q[0].tx) : new Uint8Array(20))
      let expected = account.nonce
      let budget = account.balance
      let broken = false
      for (const p of [...q]) {
        if (!broken && p.tx.nonce === expected && p.cost <= budget) {
          expected++
          budget -= p.cost
          continue
        }
        broken = true
        this.remove(p)
      }
    }
  }

  /** Number of pending transactions of a sender (20-byte address). */
  pendingOf (sender: Uint8Array): number {
    return this.bySender.get(toHex(sender))?.length ?? 0
  }

  /** Senders with pending transactions (for a full re-check after a restart or a sync). */
  senders (): Uint8Array[] {
    return [...this.bySender.values()].map(q => txSender(q[0].tx))
  }
}

/** The memo key of the stateless checks: the binary id (the signature is compared separately). */
function statelessKey (tx: Tx): string {
  return binaryKey(txId(tx))
}
