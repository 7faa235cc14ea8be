export interface MempoolOptions {
  /** Most transactions held at once. */
  maxTxs: number
  /** Most encoded bytes held at once. */
  maxBytes: number
  /** Most pending transactions of one sender, so one account cannot fill the pool. */
  maxPerSender: number
}

export const DEFAULT_MEMPOOL_OPTIONS: MempoolOptions = {
  maxTxs: 10_000,
  maxBytes: 64 * 1024 * 1024,
  maxPerSender: 256
}
