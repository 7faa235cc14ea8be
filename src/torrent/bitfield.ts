/**
 * Bitfields of slice presence, as exchanged on the wire and kept in the store: bit i (most
 * significant bit first within each byte, as BitTorrent does) says whether slice i is present.
 * Spare bits past the slice count must be zero, so that one set of slices has one encoding.
 */
import { SwarmError } from './errors.js'

export function bitfieldBytes (sliceCount: number): number {
  return Math.ceil(sliceCount / 8)
}

export function emptyBitfield (sliceCount: number): Uint8Array {
  return new Uint8Array(bitfieldBytes(sliceCount))
}

export function fullBitfield (sliceCount: number): Uint8Array {
  const bits = new Uint8Array(bitfieldBytes(sliceCount)).fill(0xff)
  const spare = bits.length * 8 - sliceCount
  if (spare > 0) bits[bits.length - 1] = (0xff << spare) & 0xff
  return bits
}

export function getBit (bits: Uint8Array, index: number): boolean {
  return ((bits[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0
}

export function setBit (bits: Uint8Array, index: number): void {
  bits[index >> 3] = (bits[index >> 3] ?? 0) | (0x80 >> (index & 7))
}

export function clearBit (bits: Uint8Array, index: number): void {
  bits[index >> 3] = (bits[index >> 3] ?? 0) & ~(0x80 >> (index & 7))
}

export function countBits (bits: Uint8Array): number {
  let n = 0
  for (let b of bits) {
    while (b !== 0) { b &= b - 1; n++ }
  }
  return n
}

/** Rejects a peer's bitfield of the wrong length or with spare bits set (a malformed message). */
export function assertBitfield (bits: Uint8Array, sliceCount: number): void {
  if (!(bits instanceof Uint8Array) || bits.length !== bitfieldBytes(sliceCount)) {
    throw new SwarmError('MALFORMED_MESSAGE', `bitfield must be ${bitfieldBytes(sliceCount)} bytes for ${sliceCount} slices`, { sliceCount, length: bits?.length })
  }
  const spare = bits.length * 8 - sliceCount
  if (spare > 0 && (bits[bits.length - 1]! & ((1 << spare) - 1)) !== 0) {
    throw new SwarmError('MALFORMED_MESSAGE', 'bitfield has bits set past the last slice', { sliceCount })
  }
}
