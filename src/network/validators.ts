/**
 * Validator sets as the network layer needs them: membership, keys and power, to check a vote's
 * or a commit's signatures. Proposer priorities do not matter here, so the set is built without
 * the per-height priority walk; it is rebuilt only when the chain's list actually changes.
 */
import { ValidatorSet } from '../consensus/index.js'
import { bytesEqual } from '../codec/index.js'
import type { ValidatorInfo } from '../state/index.js'

export type ValidatorSource = (height: number) => ValidatorInfo[]

export class ValidatorSetCache {
  private last: { infos: ValidatorInfo[], set: ValidatorSet } | undefined

  constructor (private readonly source: ValidatorSource) {}

  at (height: number): ValidatorSet {
    const infos = this.source(height)
    const last = this.last
    if (last !== undefined && sameValidators(last.infos, infos)) return last.set
    const set = new ValidatorSet(infos.map(v => ({ address: v.address, publicKey: v.publicKey, power: v.power })))
    this.last = { infos, set }
    return set
  }
}

function sameValidators (a: ValidatorInfo[], b: ValidatorInfo[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.power !== b[i]!.power || !bytesEqual(a[i]!.publicKey, b[i]!.publicKey)) return false
  }
  return true
}
