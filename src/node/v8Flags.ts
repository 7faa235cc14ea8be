/**
 * The V8 settings every folio process runs with (decision 0016). `bin/folio.js` carries
 * them on its shebang line, so `npx folio start` and `npx folio seed` get them; whatever starts
 * node processes itself with `node bin/folio.js …` — `folio devnet`, the benchmarks — passes them
 * the same way, through `nodeProcessArgs`.
 *
 * `--initial-old-space-size`: on Node 20 (V8 11.3) every ArrayBuffer byte allocated since the
 * last full collection counts against the old generation's limit, and that limit is sized from
 * JavaScript promotion alone. A process that moves slices allocates buffers fast and promotes
 * little, so its limit sits a few MB above its live heap, and full collections come every 8–25 MB
 * of buffers instead of the cheap young-generation ones (decision 0015). The flag's size becomes
 * the least the old generation may grow to before a full collection, which leaves room for the
 * young collections to free the buffers first. Validators allocate buffers the same way, and
 * measured no worse with it (decision 0016).
 */
export const NODE_V8_FLAGS: readonly string[] = Object.freeze(['--initial-old-space-size=128'])

/** Arguments for `spawn(process.execPath, …)` of a folio command: V8 settings, script, command. */
export function nodeProcessArgs (script: string, args: string[]): string[] {
  return [...NODE_V8_FLAGS, script, ...args]
}
