/** The blocks layer: transaction and block types, their bytes, ids, roots and stateless rules. */
export type * from './types.js'
export * from './errors.js'
export * from './txTypes.js'
export * from './tx.js'
export * from './merkle.js'
export * from './header.js'
export * from './block.js'
export * from './consensusMessages.js'
