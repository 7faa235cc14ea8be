export interface RpcOptions {
  host: string
  port: number
  /** Largest accepted request body. */
  maxBodyBytes: number
  /** Most calls in one batch. */
  maxBatch: number
  /** Calls per second per client (a batch counts each call), and the burst allowed. */
  ratePerSec: number
  burst: number
}

export const DEFAULT_RPC_OPTIONS: RpcOptions = {
  host: '127.0.0.1',
  port: 26657,
  maxBodyBytes: 1024 * 1024,
  maxBatch: 100,
  ratePerSec: 5_000,
  burst: 10_000
}
