/**
 * Deterministic devnet keys and genesis. Every secret here is derived from a public string, so
 * anyone can recompute it: these keys are INSECURE and exist only so that a local devnet starts
 * with one command and the same faucet address every time.
 */
import { sha256, ed25519FromSeed, accountFromSecretKey, ed25519SecretToX25519, x25519PublicKey, type Account } from '../crypto/index.js'
import { utf8 } from '../codec/index.js'
import { DEFAULT_PARAMS, type Genesis } from '../state/index.js'

export const DEVNET_CHAIN_ID = 'folio-devnet-1'
/** 1,000,000,000 FOL for the faucet. */
export const FAUCET_BALANCE = 1_000_000_000n * 1_000_000n
/** 1,000,000 FOL for each validator's operator account. */
export const OPERATOR_BALANCE = 1_000_000n * 1_000_000n

export function devnetValidatorKey (i: number): Account {
  return accountFromSecretKey(ed25519FromSeed(sha256(utf8(`folio devnet INSECURE validator key ${i}`))).secretKey)
}

export function devnetOperatorKey (i: number): Account {
  return accountFromSecretKey(sha256(utf8(`folio devnet INSECURE operator key ${i}`)))
}

export function devnetFaucetKey (): Account {
  return accountFromSecretKey(sha256(utf8('folio devnet INSECURE faucet key')))
}

export function devnetGenesis (validators: number, genesisTime = Date.UTC(2026, 0, 1)): Genesis {
  const faucet = devnetFaucetKey()
  return {
    chainId: DEVNET_CHAIN_ID,
    genesisTime,
    params: { ...DEFAULT_PARAMS },
    accounts: [
      { address: faucet.address, balance: FAUCET_BALANCE },
      ...Array.from({ length: validators }, (_, i) => ({ address: devnetOperatorKey(i).address, balance: OPERATOR_BALANCE })),
      // the consensus-key accounts pay the fees of the evidence their nodes submit
      ...Array.from({ length: validators }, (_, i) => ({ address: devnetValidatorKey(i).address, balance: 1_000n * 1_000_000n }))
    ],
    validators: Array.from({ length: validators }, (_, i) => {
      const key = devnetValidatorKey(i)
      return {
        name: `node${i}`,
        publicKey: key.publicKey,
        operator: devnetOperatorKey(i).address,
        power: 100n,
        escrowKey: x25519PublicKey(ed25519SecretToX25519(key.secretKey))
      }
    })
  }
}
