import type { Clause, ReplicaSource, ScanBudget, Scope, TableInfo } from './types.js'
import type { Gate } from './gate.js'
import type { CursorCodec } from './cursor.js'
import type { FilterLimits } from './filter.js'
import { ReplicaError } from './errors.js'
import { scopeClauses } from './filter.js'

/** What `authorize` sees of a request, the same for every face (node:http, Fetch). */
export interface ReplicaRequest {
  method: string
  url: URL
  headers: { get(name: string): string | null }
  /** The framework's own request object (`IncomingMessage` or `Request`). */
  raw: unknown
}

/** What `authorize` is asked about. */
export interface AuthorizeContext {
  /**
   * The collection read or written. `''` for the check a push gets before its body is read: a
   * caller refused there (null, false, a throw) learns nothing, not even whether the body was valid.
   */
  collection: string
  /** `'read'` for pulls, digests and the 2015 endpoints; `'write'` for a push. */
  operation: 'read' | 'write'
}

/**
 * Decide who is calling and what they may read. Return the caller's scope (ANDed into every query,
 * e.g. `{ project_id: [1, 2] }`; `{}` for everything), `null` for 401 unauthorized, `false` for
 * 403 forbidden, or throw a {@link ReplicaError} for any other refusal.
 */
export type Authorize = (
  request: ReplicaRequest,
  context: AuthorizeContext,
) => Scope | null | false | undefined | Promise<Scope | null | false | undefined>

/** An answer of the framework-agnostic core. */
export interface ReplicaAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

export interface Context {
  source: ReplicaSource
  tables: () => Promise<Map<string, TableInfo>>
  codec: CursorCodec
  limits: FilterLimits
  authorize: Authorize
  defaultPageSize: number
  maxPageSize: number
  remaining: boolean | 'first'
  /** Seconds a browser may keep a pull page that is fully in the past (0: never). */
  pageMaxAge: number
  /** Runs digests and counts a few at a time (503 busy beyond). */
  gate: Gate
  /** What each digest or count may spend. */
  budget: ScanBudget
}

/** Ask `authorize`, then find the collection: callers without access learn nothing about names. */
export async function authorizeCollection(
  ctx: Context,
  request: ReplicaRequest,
  collection: string,
): Promise<{ table: TableInfo; scope: Clause[] }> {
  const scope = await ctx.authorize(request, { collection, operation: 'read' })
  if (scope === null || scope === undefined) throw new ReplicaError(401, 'unauthorized', 'authentication required')
  if (scope === false) throw new ReplicaError(403, 'forbidden', 'access denied')
  const tables = await ctx.tables()
  const table = tables.get(collection)
  if (!table) throw new ReplicaError(404, 'unknown_collection', `unknown collection ${JSON.stringify(collection.slice(0, 60))}`)
  return { table, scope: scopeClauses(scope, table, collection) }
}

export function json(status: number, body: string, extra?: Record<string, string>): ReplicaAnswer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra }, body }
}
