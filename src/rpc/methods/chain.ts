/**
 * The foundation's JSON-RPC methods: chain_info, chain_getBlock, tx_send, tx_get, account_get,
 * state_getProof (MISSION.md §9). Bytes are 0x-hex, amounts decimal strings, addresses bech32.
 */
import type { Chain } from '../../state/index.js'
import { accountKey, decodeAccount, paramsToJSON, accountSocial } from '../../state/index.js'
import type { Mempool } from '../../mempool/index.js'
import { MempoolError } from '../../mempool/index.js'
import { blockToJSON, txToJSON, commitToJSON, headerToJSON, blockHash, txId } from '../../blocks/index.js'
import { toHex } from '../../codec/index.js'
import { encodeAddress } from '../../crypto/index.js'
import { stateProofToJSON } from '../../state/commitment/index.js'
import type { MethodTable } from '../jsonrpc.js'
import { RpcError, invalidParams, notFound } from '../errors.js'
import { objectParams, has, hexParam, addressParam, intParam, stringParam } from '../params.js'

export interface ChainMethodsDeps {
  chain: Chain
  mempool: Mempool
  version: string
  /** Connected peers (0 for a single node). */
  peers?: () => number
  syncing?: () => boolean
}

export function chainMethods (deps: ChainMethodsDeps): MethodTable {
  const { chain, mempool } = deps

  /** `txs: "ids"` lists each transaction's id only: a 2,000-transaction block is ~35x smaller. */
  async function blockAt (height: number, txs: 'full' | 'ids'): Promise<unknown> {
    const block = await chain.blocks.block(height)
    if (block === undefined) throw notFound(`no block at height ${height}; the head is ${chain.head().height}`)
    if (txs === 'full') return blockToJSON(block)
    return {
      hash: toHex(blockHash(block.header)),
      header: headerToJSON(block.header),
      txIds: block.txs.map(tx => toHex(txId(tx))),
      lastCommit: block.lastCommit === null ? null : commitToJSON(block.lastCommit)
    }
  }

  return {
    chain_info: () => {
      const head = chain.head()
      return {
        chainId: chain.chainId,
        height: head.height,
        hash: toHex(head.hash),
        time: head.time,
        stateRoot: toHex(head.stateRoot),
        validators: chain.validators(head.height + 1).length,
        peers: deps.peers?.() ?? 0,
        syncing: deps.syncing?.() ?? false,
        mempool: { txs: mempool.size, bytes: mempool.bytes },
        version: deps.version
      }
    },

    chain_getParams: () => ({ chainId: chain.chainId, params: paramsToJSON(chain.params) }),

    chain_getBlock: async (raw) => {
      const p = objectParams(raw, ['height', 'hash', 'txs'])
      if (has(p, 'height') === has(p, 'hash')) throw invalidParams('give exactly one of "height" or "hash"')
      const txs = has(p, 'txs') ? stringParam(p, 'txs', { max: 8 }) : 'full'
      if (txs !== 'full' && txs !== 'ids') throw invalidParams('"txs" must be "full" or "ids"')
      if (has(p, 'height')) return await blockAt(intParam(p, 'height', { min: 1 }), txs)
      const hash = hexParam(p, 'hash', 32)
      const height = await chain.blocks.heightOf(hash)
      if (height === undefined) throw notFound(`no block with hash ${toHex(hash)}`)
      return await blockAt(height, txs)
    },

    chain_getCommit: async (raw) => {
      const p = objectParams(raw, ['height'])
      const height = intParam(p, 'height', { min: 1 })
      // the canonical commit of h travels in block h + 1; before that, the one this node decided with
      const next = await chain.blocks.block(height + 1)
      const commit = next?.lastCommit ?? await chain.blocks.commit(height)
      if (commit == null) throw notFound(`no commit for height ${height}; the head is ${chain.head().height}`)
      return { ...commitToJSON(commit), canonical: next?.lastCommit != null }
    },

    chain_getValidators: (raw) => {
      const p = objectParams(raw, ['height'])
      const head = chain.head().height
      const height = has(p, 'height') ? intParam(p, 'height', { min: 1, max: head + 2 }) : head + 1
      const validators = chain.validators(height)
      return {
        height,
        totalPower: validators.reduce((s, v) => s + v.power, 0n).toString(),
        validators: validators.map(v => ({
          name: v.name,
          address: toHex(v.address),
          publicKey: toHex(v.publicKey),
          power: v.power.toString(),
          operator: encodeAddress(v.operator),
          escrowKey: v.escrowKey != null ? toHex(v.escrowKey) : null
        }))
      }
    },

    tx_send: async (raw) => {
      const p = objectParams(raw, ['tx'])
      const bytes = hexParam(p, 'tx')
      try {
        const entry = await mempool.addBytes(bytes)
        return { hash: entry.idHex }
      } catch (err) {
        if (err instanceof MempoolError) throw new RpcError('TX_REJECTED', `transaction rejected: ${err.message}`, { reason: err.code })
        throw err
      }
    },

    tx_get: async (raw) => {
      const p = objectParams(raw, ['hash'])
      const id = hexParam(p, 'hash', 32)
      let loc = await chain.blocks.txLocation(id)
      if (loc === undefined) {
        const pending = mempool.get(id)
        if (pending !== undefined) return { hash: toHex(id), pending: true, tx: txToJSON(pending.tx) }
        // it may have been committed between the two looks
        loc = await chain.blocks.txLocation(id)
        if (loc === undefined) throw notFound(`transaction ${toHex(id)} is neither committed nor pending`)
      }
      const block = await chain.blocks.block(loc.height)
      const tx = block?.txs[loc.index]
      return { hash: toHex(id), height: loc.height, index: loc.index, result: loc.result, tx: tx !== undefined ? txToJSON(tx) : null }
    },

    account_get: async (raw) => {
      const p = objectParams(raw, ['address'])
      const address = addressParam(p, 'address')
      const acct = decodeAccount(await chain.state.get(accountKey(address)))
      return {
        address: encodeAddress(address),
        balance: acct.balance.toString(),
        nonce: Number(acct.nonce),
        pendingNonce: Number(acct.nonce) + mempool.pendingOf(address),
        height: chain.head().height,
        ...await accountSocial(chain, address)
      }
    },

    state_getProof: async (raw) => {
      const p = objectParams(raw, ['key', 'account'])
      if (has(p, 'key') === has(p, 'account')) throw invalidParams('give exactly one of "key" (0x-hex state key) or "account" (an address)')
      const key = has(p, 'key') ? hexParam(p, 'key') : accountKey(addressParam(p, 'account'))
      if (key.length > 1024) throw invalidParams('"key" is longer than 1024 bytes')
      const head = chain.head()
      const value = await chain.state.get(key)
      const proof = await chain.state.commitment.prove(key)
      return {
        key: toHex(key),
        value: value === undefined ? null : toHex(value),
        height: head.height,
        // the root after block `height`; the header of block height + 1 carries it
        root: toHex(chain.state.root()),
        proof: stateProofToJSON(proof)
      }
    }
  }
}
