#!/usr/bin/env -S node --initial-old-space-size=128
// The V8 flag on the line above is src/node/v8Flags.ts's NODE_V8_FLAGS (decision 0016; a unit test
// keeps the two equal).
// The `folio` command. Loads the Promise.withResolvers polyfill first, then the TypeScript CLI
// through tsx (the project runs TypeScript through tsx everywhere: see docs/decisions).
import '../src/polyfill.js'
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
await main(process.argv.slice(2))
