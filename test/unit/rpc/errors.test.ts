import { expect } from 'chai'
import { FolioError } from '../../../src/errors.js'
import { RpcError, RPC_CODES } from '../../../src/rpc/errors.js'
import { toErrorResponse } from '../../../src/rpc/jsonrpc.js'
import { MempoolError } from '../../../src/mempool/index.js'

class FaultError extends FolioError<'BROKEN'> {}

describe('errors answered to clients', () => {
  it('an RPC error carries no stack trace; the answer keeps its code, message and reason', () => {
    const refusal = new MempoolError('FULL', 'the pool is full')
    const err = new RpcError('TX_REJECTED', `transaction rejected: ${refusal.message}`, { reason: refusal.code })
    expect(err.stack).to.equal('RpcError: transaction rejected: the pool is full')
    expect(refusal.stack).to.equal('MempoolError: the pool is full')
    expect(toErrorResponse(7, err, 'tx_send', { maxBatch: 1 })).to.deep.equal({
      jsonrpc: '2.0',
      id: 7,
      error: { code: RPC_CODES.TX_REJECTED, message: 'transaction rejected: the pool is full', data: { reason: 'FULL' } }
    })
  })

  it('faults keep their stacks, and the process-wide stack limit is left as it was', () => {
    const limit = Error.stackTraceLimit
    void new RpcError('NOT_FOUND', 'no such block')
    expect(Error.stackTraceLimit).to.equal(limit)
    const fault = new FaultError('BROKEN', 'a bug')
    expect(fault.stack).to.match(/^FaultError: a bug\n\s+at /)
    expect(fault).to.be.instanceOf(FolioError)
    expect(fault.code).to.equal('BROKEN')
  })
})
