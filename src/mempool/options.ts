export interface MempoolOptions {
  /** Most transactions held at once. */
  maxTxs: number
  /** Most encoded bytes held at once. */
  maxBytes: number
  /** Most pending transactions of one sender, so one account cannot fill the pool. */
  maxPerSender: number
  /**
   * Worker threads that check the signatures of gossiped transactions (src/crypto/verifier.ts);
   * 0 checks them on the event loop. Unset: one less than the machine's cores, 1 to 4.
   */
  verifyWorkers?: number
}

/** 5,000 transactions, as CometBFT's default pool (docs/decisions/0013-mempool-size.md). */
export const DEFAULT_MEMPOOL_OPTIONS: MempoolOptions = {
  maxTxs: 5_000,
  maxBytes: 64 * 1024 * 1024,
  maxPerSender: 256
}
