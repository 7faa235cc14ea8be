/**
 * The piece picker: targeted scenarios (playback order, spreading by rate, re-issue before the
 * deadline, timeouts, rarest first, endgame) and model-based fast-check properties that replay
 * random event sequences and check every decision against an independent model of the swarm.
 */
import { expect } from 'chai'
import fc from 'fast-check'
import { SlicePicker, type PickerDecision, type PickerMode } from '../../../src/torrent/picker.js'
import { emptyBitfield, fullBitfield, setBit, getBit } from '../../../src/torrent/bitfield.js'
import { SwarmError } from '../../../src/torrent/errors.js'

function bitsOf (sliceCount: number, indexes: number[]): Uint8Array {
  const bits = emptyBitfield(sliceCount)
  for (const i of indexes) setBit(bits, i)
  return bits
}

function requests (ds: PickerDecision[]): Array<[string, number]> {
  return ds.filter(d => d.type === 'request').map(d => [d.peer, d.index])
}

describe('torrent/picker scenarios', () => {
  it('streams in playback order inside the window and no further than the read-ahead', () => {
    const p = new SlicePicker({ sliceCount: 100, mode: 'stream', windowSlices: 4, readAheadSlices: 6, maxInFlightPerPeer: 20 })
    p.addPeer('a', 'all')
    const reqs = requests(p.pick(0)).map(([, i]) => i)
    expect(reqs.slice(0, 4)).to.deep.equal([0, 1, 2, 3])
    expect([...reqs].sort((x, y) => x - y)).to.deep.equal([0, 1, 2, 3, 4, 5])
  })

  it('spreads window requests over peers by measured rate', () => {
    const p = new SlicePicker({ sliceCount: 200, mode: 'stream', windowSlices: 12, readAheadSlices: 12, maxInFlightPerPeer: 12, initialServiceMs: 100 })
    p.addPeer('fast', 'all')
    p.addPeer('slow', 'all')
    // Teach the picker: fast delivers in 10 ms, slow in 400 ms.
    let now = 0
    for (let round = 0; round < 6; round++) {
      // Each peer serves its queue one slice after another.
      const served = new Map<string, number>()
      for (const d of p.pick(now)) {
        if (d.type !== 'request') continue
        const k = (served.get(d.peer) ?? 0) + 1
        served.set(d.peer, k)
        p.onSlice(d.peer, d.index, now + k * (d.peer === 'fast' ? 10 : 400))
      }
      now += 5000
      p.setPosition(Math.min(p.playbackPosition + 12, 199), now)
    }
    expect(p.serviceTime('fast')!).to.be.lessThan(50)
    expect(p.serviceTime('slow')!).to.be.greaterThan(200)
    const reqs = requests(p.pick(now))
    const fast = reqs.filter(([peer]) => peer === 'fast').length
    const slow = reqs.filter(([peer]) => peer === 'slow').length
    expect(fast).to.be.greaterThan(slow * 3)
  })

  it('re-issues a slow peer\'s window request elsewhere before the deadline, and cancels the loser', () => {
    const p = new SlicePicker({ sliceCount: 50, mode: 'stream', windowSlices: 2, readAheadSlices: 2, msPerSlice: 1000, initialServiceMs: 100 })
    p.addPeer('a', 'all')
    expect(requests(p.pick(0))).to.deep.equal([['a', 0], ['a', 1]])
    p.addPeer('b', 'all')
    // Nothing is late yet: slice 1's deadline is 1000 ms away and a has 2×100 ms queued.
    expect(requests(p.pick(50))).to.deep.equal([])
    // By 300 ms a has not delivered: slice 0 (deadline 0) is overdue, b is idle and faster.
    const again = requests(p.pick(300))
    expect(again).to.deep.include(['b', 0])
    expect(p.onSlice('b', 0, 320)).to.equal('wanted')
    expect(p.pick(320)).to.deep.include({ type: 'cancel', peer: 'a', index: 0 })
    expect(p.inFlight('a')).to.not.include(0)
  })

  it('re-issues a vanished peer\'s requests at once', () => {
    const p = new SlicePicker({ sliceCount: 10, mode: 'bulk', maxInFlightPerPeer: 10 })
    p.addPeer('a', 'all')
    expect(requests(p.pick(0))).to.have.length(10)
    p.addPeer('b', bitsOf(10, [3, 4]))
    p.removePeer('a')
    expect(requests(p.pick(1)).sort()).to.deep.equal([['b', 3], ['b', 4]])
  })

  it('gives up a request after the timeout, slows the peer\'s estimate and asks another', () => {
    // One request per slice, so that no endgame duplicate hides the timeout.
    const p = new SlicePicker({ sliceCount: 1, mode: 'bulk', requestTimeoutMs: 1000, initialServiceMs: 100, maxRequestsPerSlice: 1 })
    p.addPeer('a', 'all')
    expect(requests(p.pick(0))).to.deep.equal([['a', 0]])
    p.addPeer('b', 'all')
    expect(p.pick(999)).to.deep.equal([])
    const ds = p.pick(1000)
    expect(ds).to.deep.include({ type: 'cancel', peer: 'a', index: 0 })
    expect(requests(ds)).to.deep.equal([['b', 0]])
    expect(p.serviceTime('a')).to.equal(200)
  })

  it('fetches the rarest slices first in bulk mode', () => {
    const p = new SlicePicker({ sliceCount: 6, mode: 'bulk', maxInFlightPerPeer: 1 })
    p.addPeer('a', 'all')
    p.addPeer('b', bitsOf(6, [0, 1, 2, 3]))
    p.addPeer('c', bitsOf(6, [0, 1, 4]))
    // availability: 0→3, 1→3, 2→2, 3→2, 4→2, 5→1
    const reqs = requests(p.pick(0))
    expect(reqs).to.deep.equal([['a', 5], ['b', 2], ['c', 4]])
  })

  it('enters endgame only when every available slice is in flight, then cancels on arrival', () => {
    const p = new SlicePicker({ sliceCount: 3, mode: 'bulk', maxInFlightPerPeer: 2 })
    p.addPeer('a', 'all')
    // a takes 2 slices; slice 2 stays unrequested, so no duplicates yet.
    expect(requests(p.pick(0))).to.deep.equal([['a', 0], ['a', 1]])
    p.addPeer('b', 'all')
    const second = requests(p.pick(1))
    // b first takes the one unrequested slice, then — everything now in flight — duplicates one.
    expect(second[0]).to.deep.equal(['b', 2])
    expect(second).to.have.length(2)
    const dup = second[1]![1]
    expect(p.onSlice('b', dup, 5)).to.equal('wanted')
    expect(p.pick(5)).to.deep.include({ type: 'cancel', peer: 'a', index: dup })
  })

  it('reports unsolicited slices and ignores them', () => {
    const p = new SlicePicker({ sliceCount: 4, mode: 'bulk' })
    p.addPeer('a', 'all')
    expect(p.onSlice('a', 2, 0)).to.equal('unsolicited')
    expect(p.hasSlice(2)).to.equal(false)
    expect(p.onSlice('nobody', 1, 0)).to.equal('unsolicited')
  })

  it('never asks a peer again for a slice it rejected', () => {
    const p = new SlicePicker({ sliceCount: 1, mode: 'bulk' })
    p.addPeer('a', 'all')
    p.pick(0)
    p.onReject('a', 0)
    expect(p.pick(1)).to.deep.equal([])
  })

  it('picks a slice that became available after the last pick (the cached order is rebuilt)', () => {
    const p = new SlicePicker({ sliceCount: 4, mode: 'bulk', maxInFlightPerPeer: 4 })
    p.addPeer('a', bitsOf(4, [0, 1]))
    expect(requests(p.pick(0))).to.deep.equal([['a', 0], ['a', 1]])
    expect(p.onSlice('a', 0, 1)).to.equal('wanted')
    expect(p.pick(1)).to.deep.equal([])
    p.onHave('a', 3)
    expect(requests(p.pick(2))).to.deep.equal([['a', 3]])
    // A request given up is asked again although the order walk had passed it.
    p.removePeer('a')
    p.addPeer('b', 'all')
    expect(requests(p.pick(3)).map(([, i]) => i)).to.have.members([1, 2, 3])
  })

  it('honours back-pressure limits set by the connection', () => {
    const p = new SlicePicker({ sliceCount: 10, mode: 'bulk', maxInFlightPerPeer: 8 })
    p.addPeer('a', 'all')
    p.setPeerLimit('a', 0)
    expect(p.pick(0)).to.deep.equal([])
    p.setPeerLimit('a', 3)
    expect(requests(p.pick(1))).to.have.length(3)
  })

  it('cancels requests a seek leaves behind', () => {
    const p = new SlicePicker({ sliceCount: 100, mode: 'stream', windowSlices: 4, readAheadSlices: 4 })
    p.addPeer('a', 'all')
    p.pick(0)
    p.setPosition(50, 10)
    const ds = p.pick(10)
    expect(ds.filter(d => d.type === 'cancel').map(d => d.index)).to.deep.equal([0, 1, 2, 3])
    expect(requests(ds).map(([, i]) => i)).to.deep.equal([50, 51, 52, 53])
  })

  it('rejects malformed bitfields and out-of-range indexes with typed errors', () => {
    const p = new SlicePicker({ sliceCount: 10, mode: 'bulk' })
    expect(() => p.addPeer('a', new Uint8Array(1))).to.throw(SwarmError)
    const spare = emptyBitfield(10)
    spare[1] = 0x01
    expect(() => p.addPeer('a', spare)).to.throw(SwarmError)
    p.addPeer('a', fullBitfield(10))
    expect(() => p.onHave('a', 10)).to.throw(SwarmError).with.property('code', 'INDEX_OUT_OF_RANGE')
    expect(() => new SlicePicker({ sliceCount: 0, mode: 'bulk' })).to.throw(SwarmError)
  })
})

// ---- model-based properties ----

interface Model {
  picker: SlicePicker
  mode: PickerMode
  sliceCount: number
  limit: number
  readAhead: number
  bits: Map<string, Uint8Array>
  limits: Map<string, number>
  outstanding: Map<string, Set<number>>
  held: Set<number>
  position: number
  now: number
}

type Action =
  | { kind: 'deliver', pick: number, delay: number }
  | { kind: 'reject', pick: number }
  | { kind: 'advance', ms: number }
  | { kind: 'have', peer: number, index: number }
  | { kind: 'leave', peer: number }
  | { kind: 'join', peer: number, seed: number }
  | { kind: 'seek', index: number }
  | { kind: 'limit', peer: number, n: number }

const PEERS = ['p0', 'p1', 'p2', 'p3']

function randomBits (sliceCount: number, seed: number): Uint8Array {
  const bits = emptyBitfield(sliceCount)
  let x = seed | 1
  for (let i = 0; i < sliceCount; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    if ((x & 3) !== 0) setBit(bits, i)
  }
  return bits
}

function availableMissing (m: Model, i: number): boolean {
  return !m.held.has(i) && [...m.bits.values()].some(b => getBit(b, i))
}

function apply (m: Model, ds: PickerDecision[]): void {
  for (const d of ds) {
    const mine = m.outstanding.get(d.peer) ?? new Set<number>()
    if (d.type === 'cancel') { mine.delete(d.index); continue }
    const bits = m.bits.get(d.peer)
    expect(bits, `request to unknown peer ${d.peer}`).to.not.equal(undefined)
    expect(getBit(bits!, d.index), `peer ${d.peer} lacks slice ${d.index}`).to.equal(true)
    expect(m.held.has(d.index), `slice ${d.index} already held`).to.equal(false)
    expect(mine.has(d.index), 'same request twice to one peer').to.equal(false)
    expect(mine.size, `peer ${d.peer} over its in-flight limit`).to.be.lessThan(m.limits.get(d.peer)!)
    if (m.mode === 'stream') {
      expect(d.index).to.be.at.least(m.position)
      expect(d.index).to.be.below(m.position + m.readAhead)
    }
    const duplicate = [...m.outstanding.entries()].some(([peer, s]) => peer !== d.peer && s.has(d.index))
    if (!duplicate && m.mode === 'bulk') {
      // Rarest first: every missing slice this peer holds that comes before this one (fewer
      // holders, or as many and a lower index) has been asked of someone already.
      const holders = (i: number): number => [...m.bits.values()].filter(b => getBit(b, i)).length
      const rank = holders(d.index)
      for (let i = 0; i < m.sliceCount; i++) {
        if (m.held.has(i) || !getBit(bits!, i) || i === d.index) continue
        if (holders(i) > rank || (holders(i) === rank && i > d.index)) continue
        const asked = [...m.outstanding.values()].some(s => s.has(i))
        expect(asked, `${d.peer} asked for ${d.index} before the rarer ${i}`).to.equal(true)
      }
    }
    if (duplicate && m.mode === 'bulk') {
      for (let i = 0; i < m.sliceCount; i++) {
        if (!availableMissing(m, i)) continue
        const asked = [...m.outstanding.values()].some(s => s.has(i))
        expect(asked, `endgame duplicate of ${d.index} while ${i} was never requested`).to.equal(true)
      }
    }
    mine.add(d.index)
    m.outstanding.set(d.peer, mine)
  }
}

function allOutstanding (m: Model): Array<[string, number]> {
  const out: Array<[string, number]> = []
  for (const [peer, s] of m.outstanding) for (const i of s) out.push([peer, i])
  return out
}

function step (m: Model, a: Action): void {
  const p = m.picker
  switch (a.kind) {
    case 'deliver': {
      const all = allOutstanding(m)
      if (all.length === 0) break
      const [peer, index] = all[a.pick % all.length]!
      m.now += a.delay
      const outcome = p.onSlice(peer, index, m.now)
      expect(outcome).to.equal(m.held.has(index) ? 'duplicate' : 'wanted')
      m.held.add(index)
      m.outstanding.get(peer)!.delete(index)
      break
    }
    case 'reject': {
      const all = allOutstanding(m)
      if (all.length === 0) break
      const [peer, index] = all[a.pick % all.length]!
      p.onReject(peer, index)
      m.outstanding.get(peer)!.delete(index)
      m.bits.get(peer)![index >> 3]! &= ~(0x80 >> (index & 7))
      break
    }
    case 'advance': m.now += a.ms; break
    case 'have': {
      const peer = PEERS[a.peer]!
      const bits = m.bits.get(peer)
      if (bits == null) break
      const index = a.index % m.sliceCount
      p.onHave(peer, index)
      setBit(bits, index)
      break
    }
    case 'leave': {
      const peer = PEERS[a.peer]!
      p.removePeer(peer)
      m.bits.delete(peer); m.outstanding.delete(peer); m.limits.delete(peer)
      break
    }
    case 'join': {
      const peer = PEERS[a.peer]!
      const bits = randomBits(m.sliceCount, a.seed)
      p.addPeer(peer, bits)
      m.bits.set(peer, bits); m.outstanding.set(peer, new Set()); m.limits.set(peer, m.limit)
      break
    }
    case 'seek': {
      if (m.mode !== 'stream') break
      m.position = a.index % m.sliceCount
      p.setPosition(m.position, m.now)
      break
    }
    case 'limit': {
      const peer = PEERS[a.peer]!
      if (!m.bits.has(peer)) break
      p.setPeerLimit(peer, a.n)
      m.limits.set(peer, Math.min(a.n, m.limit))
      break
    }
  }
  apply(m, p.pick(m.now))
}

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat(), delay: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reject' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('have' as const), peer: fc.nat(3), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), peer: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('join' as const), peer: fc.nat(3), seed: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('seek' as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('limit' as const), peer: fc.nat(3), n: fc.nat(6) }) }
)

const setupArb = fc.record({
  sliceCount: fc.integer({ min: 1, max: 48 }),
  mode: fc.constantFrom<PickerMode>('stream', 'bulk'),
  limit: fc.integer({ min: 1, max: 6 }),
  window: fc.integer({ min: 1, max: 8 }),
  extra: fc.integer({ min: 0, max: 8 })
})

function newModel (s: { sliceCount: number, mode: PickerMode, limit: number, window: number, extra: number }): Model {
  const readAhead = s.window + s.extra
  return {
    picker: new SlicePicker({ sliceCount: s.sliceCount, mode: s.mode, maxInFlightPerPeer: s.limit, windowSlices: s.window, readAheadSlices: readAhead, msPerSlice: 200, requestTimeoutMs: 2000, initialServiceMs: 50 }),
    mode: s.mode, sliceCount: s.sliceCount, limit: s.limit, readAhead,
    bits: new Map(), limits: new Map(), outstanding: new Map(), held: new Set(), position: 0, now: 0
  }
}

describe('torrent/picker properties', () => {
  it('only requests held slices of connected peers, within limits, read-ahead and endgame rules', () => {
    fc.assert(fc.property(setupArb, fc.array(actionArb, { maxLength: 80 }), (s, actions) => {
      const m = newModel(s)
      for (const a of actions) step(m, a)
    }), { numRuns: 300 })
  })

  it('eventually fetches every slice some peer holds', () => {
    fc.assert(fc.property(setupArb, fc.array(fc.integer(), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 50 }), (s, seeds, picks) => {
      const m = newModel(s)
      seeds.forEach((seed, i) => step(m, { kind: 'join', peer: i, seed }))
      for (let round = 0; round < s.sliceCount * 4 + 20; round++) {
        // Playback keeps up with arrivals and skips what nobody has: move to the first slice still wanted.
        if (m.mode === 'stream') {
          let next = m.position
          while (next < m.sliceCount - 1 && !availableMissing(m, next)) next++
          if (next !== m.position) step(m, { kind: 'seek', index: next })
        }
        if (allOutstanding(m).length === 0) break
        step(m, { kind: 'deliver', pick: picks[round % picks.length]!, delay: 5 })
      }
      for (let i = 0; i < m.sliceCount; i++) {
        if (m.mode === 'stream' && i < m.position) continue
        expect(availableMissing(m, i), `slice ${i} never fetched`).to.equal(false)
      }
    }), { numRuns: 200 })
  })

  it('is deterministic: the same events give the same decisions', () => {
    fc.assert(fc.property(setupArb, fc.array(actionArb, { maxLength: 40 }), (s, actions) => {
      const trace = (): string => {
        const m = newModel(s)
        const log: PickerDecision[][] = []
        const original = m.picker.pick.bind(m.picker)
        m.picker.pick = (now: number) => { const ds = original(now); log.push(ds); return ds }
        for (const a of actions) step(m, a)
        return JSON.stringify(log)
      }
      expect(trace()).to.equal(trace())
    }), { numRuns: 100 })
  })
})
