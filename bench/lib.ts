/**
 * Shared benchmark helpers: percentiles, a printed table, JSON results under bench/results/, and
 * CPU, memory and garbage-collection readings of processes.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** A process's garbage collections so far: full (mark-compact) ones, and all pauses in ms. */
export interface GcTotals { major: number, ms: number }

/**
 * Starts counting this process's garbage collections; the returned reader gives the totals so far.
 * GC entries are delivered after the fact, so the reader lets pending ones in first.
 */
export function gcCounter (): () => Promise<GcTotals> {
  const totals: GcTotals = { major: 0, ms: 0 }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      totals.ms += e.duration
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) totals.major++
    }
  }).observe({ entryTypes: ['gc'] })
  return async () => {
    await new Promise(resolve => setImmediate(resolve))
    return { ...totals }
  }
}

export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))
  return sorted[i]
}

export function median (values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50)
}

export function printTable (title: string, rows: Array<[string, string | number]>): void {
  const w = Math.max(...rows.map(r => r[0].length))
  process.stdout.write(`\n${title}\n${'-'.repeat(title.length)}\n`)
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${typeof v === 'number' ? round(v) : v}\n`)
}

function round (v: number): string {
  if (!Number.isFinite(v)) return String(v)
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)
}

export async function writeResults (name: string, data: unknown): Promise<string> {
  const dir = join(process.cwd(), 'bench', 'results')
  await mkdir(dir, { recursive: true })
  const path = join(dir, `${name}.json`)
  await writeFile(path, JSON.stringify({ name, at: new Date().toISOString(), node: process.version, ...data as object }, null, 2) + '\n')
  return path
}

/** Linux's page size on the machines this runs on (x86-64, arm64 with 4 KiB pages). */
const PAGE_BYTES = 4096

/**
 * Resident set size of a process in bytes, from /proc/PID/statm (resident pages × 4 KiB); NaN if
 * gone. statm, not status: the kernel fills status with dozens of fields, and reading it cost
 * ~125 µs against the few µs of statm — enough to matter in a watcher that samples several nodes.
 */
export function rssOf (pid: number): number {
  try {
    const resident = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1])
    return Number.isFinite(resident) ? resident * PAGE_BYTES : NaN
  } catch {
    return NaN
  }
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc; NaN if gone. */
export function cpuSecondsOf (pid: number): number {
  try {
    // fields after the command name (which may hold spaces) start at ")"; utime and stime are 14th and 15th
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

/**
 * CPU seconds of the whole machine so far, all cores (/proc/stat): `busy` (user, nice, system, irq,
 * softirq) and `steal` (time the hypervisor ran something else while this machine's CPUs wanted to
 * run); NaN if unreadable. The difference of `busy` over an interval, less the CPU of the processes
 * being measured, is what other work on this machine took meanwhile; `steal`, what the host took.
 */
export function machineCpuSeconds (): { busy: number, steal: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
    const f = line.trim().split(/\s+/).slice(1).map(Number)
    return { busy: (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / 100, steal: f[7]! / 100 }
  } catch {
    return { busy: NaN, steal: NaN }
  }
}
