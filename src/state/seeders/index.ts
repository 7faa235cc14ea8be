/**
 * The seeder map in state (MISSION.md §4): who serves which card, where and at what price, with
 * announcements that expire after their ttl; and its history for queries at past heights.
 * Importing this module registers the handlers and the expiry hook.
 */
export * from './records.js'
export * from './handlers.js'
export * from './history.js'
