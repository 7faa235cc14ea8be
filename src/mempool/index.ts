export * from './errors.js'
export * from './options.js'
export * from './mempool.js'
