#!/usr/bin/env node
// The `folio` command. Loads the Promise.withResolvers polyfill first, then the TypeScript CLI
// through tsx (the project runs TypeScript through tsx everywhere: see docs/decisions).
import '../src/polyfill.js'
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
await main(process.argv.slice(2))
