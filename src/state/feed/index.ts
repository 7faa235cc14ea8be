/**
 * The feed indexes (MISSION.md §9): secondary indexes of cards written with each block, the query
 * planner over them, and opaque cursors. Layout and formulas: docs/feed.md.
 */
export * from './errors.js'
export * from './layout.js'
export * from './doc.js'
export * from './indexer.js'
export * from './cursor.js'
export * from './query.js'
