/**
 * Chain parameters, fixed at genesis. Amounts in ufol (1 FOL = 10^6 ufol).
 */

export interface ChainParams {
  /** Fee floor: base plus per encoded byte (MISSION.md §4). */
  minFeeBase: bigint
  minFeePerByte: bigint
  maxTxBytes: number
  maxBlockBytes: number
  maxBlockTxs: number
  /** Blocks an undelegation waits before its stake is returned. */
  unbondingBlocks: number
  /** Share of a double-signer's stake that is slashed, in basis points. */
  slashFractionBps: number
  /** Share of the slashed amount paid to the evidence submitter, in basis points. */
  evidenceRewardBps: number
  /** Longest seeder announcement, in blocks. */
  maxSeedTtl: number
}

export const DEFAULT_PARAMS: ChainParams = {
  minFeeBase: 1_000n,
  minFeePerByte: 10n,
  maxTxBytes: 128 * 1024,
  maxBlockBytes: 8 * 1024 * 1024,
  maxBlockTxs: 20_000,
  unbondingBlocks: 100,
  slashFractionBps: 500,
  evidenceRewardBps: 1_000,
  maxSeedTtl: 100_000
}

export function minFee (params: ChainParams, txBytes: number): bigint {
  return params.minFeeBase + params.minFeePerByte * BigInt(txBytes)
}

export function paramsToJSON (p: ChainParams): Record<string, string | number> {
  return {
    minFeeBase: p.minFeeBase.toString(),
    minFeePerByte: p.minFeePerByte.toString(),
    maxTxBytes: p.maxTxBytes,
    maxBlockBytes: p.maxBlockBytes,
    maxBlockTxs: p.maxBlockTxs,
    unbondingBlocks: p.unbondingBlocks,
    slashFractionBps: p.slashFractionBps,
    evidenceRewardBps: p.evidenceRewardBps,
    maxSeedTtl: p.maxSeedTtl
  }
}

export function paramsFromJSON (json: Record<string, unknown> | undefined): ChainParams {
  const j = json ?? {}
  const big = (k: keyof ChainParams): bigint => j[k] == null ? DEFAULT_PARAMS[k] as bigint : BigInt(j[k] as string)
  const num = (k: keyof ChainParams): number => j[k] == null ? DEFAULT_PARAMS[k] as number : Number(j[k])
  return {
    minFeeBase: big('minFeeBase'),
    minFeePerByte: big('minFeePerByte'),
    maxTxBytes: num('maxTxBytes'),
    maxBlockBytes: num('maxBlockBytes'),
    maxBlockTxs: num('maxBlockTxs'),
    unbondingBlocks: num('unbondingBlocks'),
    slashFractionBps: num('slashFractionBps'),
    evidenceRewardBps: num('evidenceRewardBps'),
    maxSeedTtl: num('maxSeedTtl')
  }
}
