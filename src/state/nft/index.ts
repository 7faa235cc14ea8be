/**
 * Key NFTs and re-escrow in state (MISSION.md §4, §8): token ownership, listings, mint counts,
 * the effective escrow of a card, and the rules of key.* and card.reescrow. Importing this module
 * registers the handlers.
 */
export * from './records.js'
export * from './handlers.js'
