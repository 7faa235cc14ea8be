/**
 * Key escrow (MISSION.md §8, docs/keys.md): building an escrow at publish time, the signed share
 * request, a validator's answer (`EscrowServer`), the holder's client (`obtainContentKey`), and
 * the transports (libp2p protocol, RPC, relay, in-process).
 */
export * from './errors.js'
export * from './format.js'
export * from './request.js'
export * from './server.js'
export * from './client.js'
export * from './protocol.js'
export * from './sources.js'
