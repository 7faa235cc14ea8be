/**
 * The deterministic state machine (MISSION.md §2): accounts and every other area's rules, applied
 * to an overlay over committed state, committed with a state root in one atomic batch per block.
 * Importing this module registers the built-in transaction types.
 */
export * from './errors.js'
export * from './store.js'
export * from './keys.js'
export * from './params.js'
export * from './registry.js'
export * from './overlay.js'
export * from './stateStore.js'
export * from './accounts.js'
export * from './executor.js'
export * from './blockStore.js'
export * from './genesis.js'
export * from './chain.js'
export * from './cards/index.js'
export * from './feed/index.js'
export * from './staking/index.js'
export * from './seeders/index.js'
export * from './nft/index.js'
