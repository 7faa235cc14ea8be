import { fromHex } from '../../src/codec/index.js'
import type { Commit } from '../../src/blocks/types.js'

/** The inverse of commitToJSON, as a light client would read a commit from the RPC. */
export function commitFromJSON (j: any): Commit {
  return {
    height: j.height,
    round: j.round,
    blockHash: fromHex(j.blockHash, 32),
    signatures: j.signatures.map((s: any) => ({ validator: fromHex(s.validator, 20), signature: fromHex(s.signature, 64) }))
  }
}
