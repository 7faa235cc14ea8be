/**
 * The crypto layer of folio (MISSION.md §3): one interface for hashing, signatures, key agreement,
 * AEAD, key wrapping, addresses and mnemonics. Hot paths run on node:crypto; @noble is the
 * reference the tests cross-check against.
 */
export { CryptoError } from './errors.js'
export type { CryptoErrorCode } from './errors.js'
export { sha256, sha256Concat, randomBytes, constantTimeEqual } from './hash.js'
export type { KeyPair } from './ed25519.js'
export {
  ed25519FromSeed, ed25519Generate, ed25519Sign, ed25519Verify, assertSignatureLength, clearEd25519KeyCache, isSmallOrderPublicKey,
  ED25519_SEED_LENGTH, ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH
} from './ed25519.js'
export {
  x25519Generate, x25519PublicKey, x25519SharedSecret, x25519EphemeralAgreement, ed25519SecretToX25519, ed25519PublicToX25519,
  X25519_KEY_LENGTH
} from './x25519.js'
export { hkdfSha256, HKDF_MAX_LENGTH, HKDF_MAX_INFO_LENGTH } from './hkdf.js'
export { aeadEncrypt, aeadDecrypt, sliceNonce, AEAD_KEY_LENGTH, AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH } from './aead.js'
export { sealTo, openSealed, SEAL_OVERHEAD } from './seal.js'
export { ADDRESS_PREFIX, ADDRESS_LENGTH, addressFromPublicKey, encodeAddress, decodeAddress, isAddress } from './address.js'
export type { Account } from './mnemonic.js'
export {
  generateMnemonic, validateMnemonic, mnemonicToSeed, accountFromMnemonic, accountFromSecretKey, contentMasterFromMnemonic
} from './mnemonic.js'
export { escrowThreshold, splitSecret, combineShares, SHAMIR_MAX_SHARES } from './shamir.js'
