/**
 * The piece picker's cost per pick in bulk mode, by card size (MISSION.md §7): three complete
 * seeders, eight requests in flight each, and a full `pick` after every slice that arrives — the
 * worst case of the download's event batching (docs/swarm.md). Each size runs twice and the second
 * run is reported, so that the first size does not carry the JIT's warm-up.
 *
 * Run: node --import ./src/polyfill.js --import tsx bench/picker.ts [--slices 4096]
 */
import { SlicePicker } from '../src/torrent/picker.js'
import { printTable } from './lib.js'

const i = process.argv.indexOf('--slices')
const SLICES = i >= 0 ? Number(process.argv[i + 1]) : 4096

/** Microseconds per pick while `slices` slices of a `sliceCount`-slice card arrive one at a time. */
function perPick (sliceCount: number): number {
  const p = new SlicePicker({ sliceCount, mode: 'bulk' })
  for (const peer of ['a', 'b', 'c']) p.addPeer(peer, 'all')
  const inFlight: Array<[string, number]> = []
  const n = Math.min(sliceCount, SLICES)
  const t0 = performance.now()
  for (let got = 0, now = 0; got < n; got++) {
    for (const d of p.pick(now)) if (d.type === 'request') inFlight.push([d.peer, d.index])
    const [peer, index] = inFlight.shift()!
    p.onSlice(peer, index, ++now)
  }
  return (performance.now() - t0) / n * 1000
}

const rows: Array<[string, string | number]> = []
for (const sliceCount of [256, 16_384, 1_048_576]) {
  perPick(sliceCount)
  rows.push([`${sliceCount} slices: µs per pick`, perPick(sliceCount)])
}
printTable('slice picker, bulk mode', rows)
