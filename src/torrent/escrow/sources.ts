/**
 * Share sources besides libp2p: a validator's JSON-RPC (`escrow_requestShare`, for light clients
 * that know validators' RPC URLs), a relay (`escrow_gatherShares` on any node, which asks the
 * committee over libp2p: the CLI needs only its one node), and an in-process server (tests,
 * benchmarks). The RPC call is injected so this layer does not depend on the HTTP client.
 */
import { decodeAddress } from '../../crypto/index.js'
import { answerFromJson, requestToJson } from './request.js'
import type { ShareSource } from './client.js'
import type { EscrowServer } from './server.js'

export type RpcCall = (method: string, params: Record<string, unknown>, signal: AbortSignal) => Promise<any>

export function rpcShareSource (name: string, call: RpcCall): ShareSource {
  return {
    name,
    ask: async (req, signal) => [answerFromJson(await call('escrow_requestShare', { request: requestToJson(req) }, signal), decodeAddress)]
  }
}

export function relayShareSource (name: string, call: RpcCall): ShareSource {
  return {
    name,
    ask: async (req, signal) => {
      const r = await call('escrow_gatherShares', { request: requestToJson(req) }, signal)
      return (Array.isArray(r?.answers) ? r.answers : []).map((a: unknown) => answerFromJson(a, decodeAddress))
    }
  }
}

export function serverShareSource (server: EscrowServer, peer = 'local'): ShareSource {
  return { name: `validator ${peer}`, ask: async (req) => [await server.answerShareRequest(req, peer)] }
}
