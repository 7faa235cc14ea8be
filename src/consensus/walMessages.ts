/**
 * What the engine writes to its WAL, as RLP payloads of WAL records:
 *   [1, proposal, blockBytes]   a proposal received or made, with its block
 *   [2, vote]                   a vote received or cast
 *   [3, height, round, step]    a timeout that fired (step 1 propose, 2 prevote, 3 precommit)
 *   [4, height]                 the height was committed: its records are no longer needed
 * Replaying these in order through the engine restores the round state of the current height.
 */
import { CodecError } from '../codec/errors.js'
import { bytesToUint, expectBytes, expectList, rlpDecode, rlpEncode, uintToBytes } from '../codec/rlp.js'
import type { RlpItem } from '../codec/rlp.js'
import { proposalFromRlp, proposalToRlp, voteFromRlp, voteToRlp } from '../blocks/consensusMessages.js'
import type { Proposal, Vote } from '../blocks/types.js'
import type { ConsensusLogger } from './types.js'
import { readWalRecords } from './wal.js'
import type { WalBackend } from './wal.js'

export type TimeoutStep = 'propose' | 'prevote' | 'precommit'
const TIMEOUT_CODES: TimeoutStep[] = ['propose', 'prevote', 'precommit']

export type WalMessage =
  | { kind: 'proposal', proposal: Proposal, blockBytes: Uint8Array }
  | { kind: 'vote', vote: Vote }
  | { kind: 'timeout', height: number, round: number, step: TimeoutStep }
  | { kind: 'endHeight', height: number }

export function walMessageHeight (m: WalMessage): number {
  switch (m.kind) {
    case 'proposal': return m.proposal.height
    case 'vote': return m.vote.height
    default: return m.height
  }
}

export function encodeWalMessage (m: WalMessage): Uint8Array {
  switch (m.kind) {
    case 'proposal': return rlpEncode([uintToBytes(1), proposalToRlp(m.proposal), m.blockBytes])
    case 'vote': return rlpEncode([uintToBytes(2), voteToRlp(m.vote)])
    case 'timeout': return rlpEncode([uintToBytes(3), uintToBytes(m.height), uintToBytes(m.round), uintToBytes(TIMEOUT_CODES.indexOf(m.step) + 1)])
    case 'endHeight': return rlpEncode([uintToBytes(4), uintToBytes(m.height)])
  }
}

function int (item: RlpItem | undefined, what: string): number {
  if (item === undefined) throw new CodecError('MALFORMED', `${what}: missing`)
  return Number(bytesToUint(expectBytes(item, what), 6))
}

export function decodeWalMessage (bytes: Uint8Array): WalMessage {
  const f = expectList(rlpDecode(bytes), 'WAL message')
  const kind = int(f[0], 'WAL message kind')
  if (kind === 1 && f.length === 3) {
    return { kind: 'proposal', proposal: proposalFromRlp(f[1]!), blockBytes: expectBytes(f[2]!, 'WAL block') }
  }
  if (kind === 2 && f.length === 2) return { kind: 'vote', vote: voteFromRlp(f[1]!) }
  if (kind === 3 && f.length === 4) {
    const step = TIMEOUT_CODES[int(f[3], 'WAL timeout step') - 1]
    if (step === undefined) throw new CodecError('UNKNOWN_TYPE', 'unknown WAL timeout step')
    return { kind: 'timeout', height: int(f[1], 'WAL height'), round: int(f[2], 'WAL round'), step }
  }
  if (kind === 4 && f.length === 2) return { kind: 'endHeight', height: int(f[1], 'WAL height') }
  throw new CodecError('UNKNOWN_TYPE', `unknown WAL message kind ${kind} with ${f.length} fields`)
}

/**
 * Reads the WAL after a restart: truncates a torn or corrupt tail (logged, not fatal) and returns
 * the messages of `height` in the order they were written.
 */
export async function recoverWal (wal: WalBackend, height: number, log: ConsensusLogger): Promise<WalMessage[]> {
  const read = readWalRecords(await wal.readAll())
  if (read.tail !== null) {
    log.warn({ offset: read.tail.offset, reason: read.tail.reason }, 'truncating the consensus WAL after a torn or corrupt tail')
    await wal.truncate(read.validLength)
  }
  const out: WalMessage[] = []
  for (const record of read.records) {
    let m: WalMessage
    try {
      m = decodeWalMessage(record)
    } catch (err) {
      // A record with a good checksum that does not decode was written by another version.
      log.warn({ err }, 'skipping an undecodable WAL record')
      continue
    }
    if (m.kind !== 'endHeight' && walMessageHeight(m) === height) out.push(m)
  }
  return out
}
