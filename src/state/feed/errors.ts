/**
 * Errors of feed queries: a query the planner cannot run (bad filter values, no searchable words)
 * or a cursor that is garbled, forged or belongs to another query. The RPC maps both to -32602.
 */
import { FolioError } from '../../errors.js'

export type FeedErrorCode = 'INVALID_QUERY' | 'INVALID_CURSOR'

export class FeedError extends FolioError<FeedErrorCode> {}
