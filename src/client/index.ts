export * from './rpcClient.js'
export * from './tx.js'
