// No-WebRTC stand-in for webrtc-polyfill, used through an npm override in bench/peers/package.json.
// @thaunknown/simple-peer (imported statically by webtorrent and bittorrent-tracker) does
//   import { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate } from 'webrtc-polyfill'
// and the real package pulls in node-datachannel, a native module that does not build here.
// Exporting the names as undefined makes simple-peer report Peer.WEBRTC_SUPPORT = false, so
// WebTorrent never attempts WebRTC (and throws ERR_WEBRTC_SUPPORT if something tried anyway).
export const RTCPeerConnection = undefined
export const RTCSessionDescription = undefined
export const RTCIceCandidate = undefined
export const RTCIceTransport = undefined
export const RTCDataChannel = undefined
export const RTCSctpTransport = undefined
export const RTCDtlsTransport = undefined
export const RTCCertificate = undefined
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }
