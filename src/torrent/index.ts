/**
 * The slice swarm's pure core (MISSION.md §7): slice layout, content keys and slice encryption,
 * the content Merkle tree, the publishing pipeline, the slice store with its disk budget, the
 * upload budget, the piece picker and the wire messages. The libp2p exchange service and the CLI
 * build on these; nothing here opens a socket.
 */
export { SwarmError, isPeerFault } from './errors.js'
export type { SwarmErrorCode } from './errors.js'
export {
  DEFAULT_SLICE_SIZE, MIN_SLICE_SIZE, MAX_SLICE_SIZE, MAX_SLICE_COUNT, AEAD_TAG_BYTES,
  makeLayout, assertLayout, assertSliceSize, assertIndex, sliceCountFor, sliceOffset, sliceLength, storedSliceLength,
  byteRangeToSlices, suffixRange
} from './layout.js'
export type { SliceLayout, SliceSpan } from './layout.js'
export { bitfieldBytes, emptyBitfield, fullBitfield, getBit, setBit, clearBit, countBits, assertBitfield } from './bitfield.js'
export { CONTENT_KEY_BYTES, KEY_SALT_BYTES, CONTENT_KEY_INFO, newKeySalt, deriveContentKey, encryptSlice, decryptSlice } from './contentKey.js'
export { HASH_BYTES, leafHash, nodeHash, contentRoot, verifyLeafLayer, verifySlice, packLeaves, unpackLeaves } from './merkle.js'
export { rechunk, sliceAndEncrypt, fileSource, commitContent, commitFile } from './publish.js'
export type { PublishedSlice, CardLayout } from './publish.js'
export { SliceStore } from './sliceStore.js'
export type { CardContent, CardFlags, SliceStoreOptions, SliceStoreStats } from './sliceStore.js'
export { UploadBudget } from './bandwidth.js'
export { SlicePicker, PICKER_DEFAULTS } from './picker.js'
export type { PickerMode, PickerOptions, PickerDecision, SliceOutcome } from './picker.js'
export {
  SLICE_PROTOCOL, WIRE_VERSION, CARD_ID_BYTES, MAX_CARDS_PER_HANDSHAKE, MAX_LEAVES_PER_MESSAGE, MAX_IN_FLIGHT_LIMIT,
  FRAME_OVERHEAD, MAX_FRAME_BYTES, REJECT_REASONS, maxFrameBytes, encodeMessage, decodeMessage, checkAgainstCard
} from './wire.js'
export type { WireMessage, WireType, RejectReason, DecodeLimits } from './wire.js'
export { WireChannel } from './channel.js'
export type { ChannelHandlers, ChannelOptions } from './channel.js'
export { SliceExchange, registerSliceExchange, EXCHANGE_DEFAULTS } from './exchange.js'
export type { ExchangeDeps, ExchangeLimits, ExchangeStats, SwarmLog } from './exchange.js'
export { Download } from './fetcher.js'
export type { DownloadOptions, DownloadProgress } from './fetcher.js'
export { Swarm } from './swarm.js'
export type { SwarmOptions, FetchResult } from './swarm.js'
export { ContentKeyStore } from './keyStore.js'
export { freeCardKeys, firstKey, staticSeeders, mergedSeeders, peerIdOf } from './sources.js'
export type { CardInfo, CardSource, SeederAddress, SeederSource, KeyProvider } from './sources.js'
export { createSwarmHost, SWARM_YAMUX } from './host.js'
export { contentMaster, prepareContent, uploadContent } from './publisher.js'
export { indexSite, siteFile, mimeOf, normalisePath, MAX_SITE_ENTRIES } from './site.js'
