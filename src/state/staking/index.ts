/**
 * Staking, evidence and validator-set changes (MISSION.md §4, §5; docs/staking.md). Importing this
 * module registers the staking transaction handlers, the genesis hook that bonds the genesis
 * validators' power, and two end-block hooks: paying out matured undelegations, then writing the
 * validator set of height + 2.
 */
import { registerGenesisHook } from '../genesis.js'
import { registerBlockHook } from '../registry.js'
import { stakingGenesis, releaseUnbonded } from './handlers.js'
import { advanceValidatorSet } from './validatorSetRecord.js'
import './evidence.js'

registerGenesisHook(stakingGenesis)
registerBlockHook({ name: 'staking.unbonding', endBlock: releaseUnbonded })
registerBlockHook({ name: 'staking.validatorSet', endBlock: advanceValidatorSet })

export * from './records.js'
export * from './priorities.js'
export * from './validatorSetRecord.js'
export { stakingGenesis, releaseUnbonded } from './handlers.js'
export { buildEvidenceTx, encodeVotePair, decodeVotePair, type VotePair } from './evidence.js'
