/** WAL framing: round trips, and recovery of the valid prefix after torn or corrupt tails. */
import { expect } from 'chai'
import fc from 'fast-check'
import { crc32, encodeWalRecord, MemoryWalBackend, readWalRecords } from '../../../src/consensus/wal.js'
import { decodeWalMessage, encodeWalMessage } from '../../../src/consensus/walMessages.js'
import type { WalMessage } from '../../../src/consensus/walMessages.js'
import { CodecError } from '../../../src/codec/errors.js'

function concat (parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap(p => [...p]))
}

describe('consensus WAL', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).to.equal(0xcbf43926)
    expect(crc32(new Uint8Array(0))).to.equal(0)
  })

  it('reads back every record, and after any cut only whole records (property)', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), fc.nat(), (payloads, cutSeed) => {
      const framed = payloads.map(encodeWalRecord)
      const all = concat(framed)
      const full = readWalRecords(all)
      expect(full.tail).to.equal(null)
      expect(full.records).to.deep.equal(payloads)
      const cut = all.length === 0 ? 0 : cutSeed % (all.length + 1)
      const part = readWalRecords(all.subarray(0, cut))
      let whole = 0
      let n = 0
      for (const f of framed) { if (whole + f.length > cut) break; whole += f.length; n++ }
      expect(part.validLength).to.equal(whole)
      expect(part.records).to.deep.equal(payloads.slice(0, n))
      expect(part.tail === null).to.equal(whole === cut)
    }), { numRuns: 200 })
  })

  it('stops at a flipped bit with a checksum mismatch', () => {
    const a = encodeWalRecord(Uint8Array.of(1, 2, 3))
    const b = encodeWalRecord(Uint8Array.of(4, 5, 6))
    const all = concat([a, b])
    all[all.length - 1]! ^= 1
    const r = readWalRecords(all)
    expect(r.records).to.have.length(1)
    expect(r.validLength).to.equal(a.length)
    expect(r.tail).to.deep.equal({ offset: a.length, reason: 'checksum mismatch' })
  })

  it('loses unsynced appends in a crash and keeps synced ones', async () => {
    const wal = new MemoryWalBackend()
    await wal.append(encodeWalRecord(Uint8Array.of(1)))
    await wal.sync()
    await wal.append(encodeWalRecord(Uint8Array.of(2)))
    wal.crash(3)
    const r = readWalRecords(await wal.readAll())
    expect(r.records).to.deep.equal([Uint8Array.of(1)])
    expect(r.tail?.reason).to.equal('torn header')
    await wal.truncate(r.validLength)
    expect(readWalRecords(await wal.readAll()).tail).to.equal(null)
  })

  it('round-trips WAL messages and rejects unknown kinds with CodecError', () => {
    const msgs: WalMessage[] = [
      { kind: 'timeout', height: 3, round: 2, step: 'prevote' },
      { kind: 'endHeight', height: 9 },
      { kind: 'vote', vote: { type: 'precommit', height: 1, round: 0, blockHash: null, validator: new Uint8Array(20), signature: new Uint8Array(64) } }
    ]
    for (const m of msgs) expect(decodeWalMessage(encodeWalMessage(m))).to.deep.equal(m)
    expect(() => decodeWalMessage(Uint8Array.of(0xc2, 0x09, 0x01))).to.throw(CodecError)
  })
})
