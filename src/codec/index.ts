/** The codec layer: strict RLP and schemas for consensus bytes, msgpack for everything else. */
export * from './errors.js'
export * from './hex.js'
export * from './rlp.js'
export * from './schema.js'
export * from './msgpack.js'
