import { expect } from 'chai'
import { readFile } from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { NODE_V8_FLAGS, nodeProcessArgs } from '../../../src/node/v8Flags.js'

describe('V8 settings of folio processes', () => {
  it('bin/folio.js carries exactly NODE_V8_FLAGS on its shebang line', async () => {
    const first = (await readFile('bin/folio.js', 'utf8')).split('\n')[0]
    expect(first).to.equal(`#!/usr/bin/env -S node ${NODE_V8_FLAGS.join(' ')}`)
  })

  it('spawned folio commands get them before the script, and this Node accepts them', async () => {
    const args = nodeProcessArgs('script.js', ['start'])
    expect(args).to.deep.equal([...NODE_V8_FLAGS, 'script.js', 'start'])
    const { stdout } = await promisify(execFile)(process.execPath, [...NODE_V8_FLAGS, '-e', 'process.stdout.write(JSON.stringify(process.execArgv))'])
    expect(JSON.parse(stdout).slice(0, NODE_V8_FLAGS.length)).to.deep.equal([...NODE_V8_FLAGS])
  })
})
