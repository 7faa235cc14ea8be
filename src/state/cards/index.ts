/**
 * Hash cards and the social graph in state: records, counters and the rules of card.* , social.*
 * and profile.set (MISSION.md §4). Importing this module registers the handlers.
 */
export * from './records.js'
export * from './handlers.js'
export * from './social.js'
