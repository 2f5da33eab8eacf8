import { badRequest } from './errors.js'
import { json, type Context, type ReplicaAnswer, type ReplicaRequest } from './context.js'
import { readSubscriptionQuery } from './pull-endpoint.js'
import { firstChangeSql, type Statement } from './queries.js'
import { DELETED_COL, Params, VERSION_COL, clausesSql, q, type Dialect } from './sql.js'
import type { DigestPlan } from './types.js'

/**
 * `GET <base>/digest?collection&filter&cursor` (docs/protocol.md, "Digest"): the count and
 * order-independent hash of the live rows matching the filter and the caller's scope whose
 * `(_version, id)` is at or before the cursor's position, i.e. what a client that applied the
 * stream up to that cursor must hold for this subscription, and the version up to which that is
 * all the scope has ({@link reachedVersion}). Validated like the pull: the same `authorize`,
 * allow-lists, filter limits and signed cursor; the cursor is required.
 */
export async function handleDigest(ctx: Context, request: ReplicaRequest): Promise<ReplicaAnswer> {
  const { collection, table, clauses, cursorText } = await readSubscriptionQuery(ctx, request)
  // Without a cursor the stream has delivered nothing, so there is nothing to compare.
  if (cursorText === null) throw badRequest('cursor is required: a digest covers the rows up to a cursor of this subscription')
  const upTo = ctx.codec.decode(collection, cursorText)
  const digest = await ctx.gate.run(() => ctx.source.digest({ table, clauses, upTo }, ctx.budget))
  return json(200, JSON.stringify({ count: digest.count, hash: digest.hash, version: digest.version }))
}

/**
 * What a digest at `plan.upTo` reaches, read in the digest's snapshot: `[first version of the
 * scope after the cursor among rows, among log entries (NULL where none, held back or not), the
 * horizon]`. See {@link reachedVersion}.
 */
export function reachStatement(d: Dialect, plan: DigestPlan): Statement {
  const params = new Params(d)
  const first = firstChangeSql(d, { table: plan.table, clauses: plan.clauses, after: plan.upTo, limit: 1 }, params)
  return { sql: `${d.readPrefix}SELECT ${first.rows}, ${first.log}, ${d.horizon}`, params: params.values }
}

/**
 * The digest's `version` (docs/protocol.md, "Digest"): the highest version V such that the rows
 * of the scope at versions up to V are exactly the rows the digest covers. The scope has no change
 * between the cursor and its first change after it, and no version at or below the horizon is
 * still to come, so V is the smaller of the two (never below the cursor's own version). A client
 * counts every row it holds at or below V: a version it holds past its cursor (a push answer) is
 * then covered as soon as the scope is quiet, instead of only once some later change of the scope
 * moves the cursor past it.
 */
export function reachedVersion(upTo: DigestPlan['upTo'], [rows, log, horizon]: readonly unknown[]): number {
  const firsts = [rows, log].filter((v) => v !== null && v !== undefined).map(Number)
  return Math.max(upTo.v, Math.min(Number(horizon), ...firsts.map((v) => v - 1)))
}

/**
 * The keys and versions a digest covers: live rows (not soft-deleted) matching the clauses, with
 * `(_version, id) <= upTo`, and (PostgreSQL) below the horizon, like the pull that issued the
 * cursor. Keys and versions are hashed as `String()` formats what the driver returns (an int8 comes
 * from pg as decimal text), which is how the client formats the JSON numbers it received.
 */
export function digestStatement(d: Dialect, plan: DigestPlan): { sql: string; params: unknown[] } {
  const t = plan.table
  const params = new Params(d)
  const pk = q(t.primaryKey)
  const v = q(VERSION_COL)
  const where = [
    clausesSql(plan.clauses, q, params),
    `NOT (${d.isDeleted(q(DELETED_COL))})`,
    `(${v}, ${pk}) <= (${params.add(plan.upTo.v)}, ${params.add(plan.upTo.id)})`,
    d.servable(v),
  ].filter((p): p is string => p !== null)
  return { sql: `${d.readPrefix}SELECT ${pk} AS k, ${v} AS v FROM ${d.table(t.table)} WHERE ${where.join(' AND ')}`, params: params.values }
}
