/** Deterministic keys and transactions shared by the blocks tests. */
import { ed25519FromSeed } from '../../../src/crypto/index.js'
import type { KeyPair } from '../../../src/crypto/index.js'
import { signTx } from '../../../src/blocks/tx.js'
import { registerTxType } from '../../../src/blocks/txTypes.js'
import { bytes, struct } from '../../../src/codec/schema.js'
import type { Tx } from '../../../src/blocks/types.js'
import { expect } from 'chai'
import { CodecError } from '../../../src/codec/errors.js'
import { BlockError } from '../../../src/blocks/errors.js'

export const CHAIN = 'folio-test-1'

export function keyFromByte (b: number): KeyPair {
  return ed25519FromSeed(new Uint8Array(32).fill(b))
}

export const alice = keyFromByte(1)
export const bob = keyFromByte(2)

export function transfer (opts: { nonce?: bigint, fee?: bigint, amount?: bigint, chainId?: string, key?: KeyPair } = {}): Tx {
  const key = opts.key ?? alice
  return signTx({
    type: 'transfer',
    chainId: opts.chainId ?? CHAIN,
    from: key.publicKey,
    nonce: opts.nonce ?? 0n,
    fee: opts.fee ?? 1000n,
    body: { to: new Uint8Array(20).fill(0xbb), amount: opts.amount ?? 5n }
  }, key.secretKey)
}

/** 1 ufol per byte plus a base of 100, as a genesis might set it. */
export const rules = {
  chainId: CHAIN,
  minFee: (n: number) => 100n + BigInt(n),
  maxTxBytes: 4096
}

/** A type with its own small body limit, to test per-type limits. */
export const BigNoteBody = struct({ data: bytes() })
registerTxType('test.bignote', BigNoteBody, { maxBytes: 32 })

/** Runs `fn`, which must throw a typed codec or block error, and returns it. */
export function errorOf (fn: () => unknown): CodecError | BlockError {
  try {
    fn()
  } catch (err) {
    expect(err instanceof CodecError || err instanceof BlockError, String(err)).to.equal(true)
    return err as CodecError
  }
  throw new Error('expected an error')
}
