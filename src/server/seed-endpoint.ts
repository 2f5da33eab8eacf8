import { badCursor, badRequest } from './errors.js'
import { filterClauses, parseJsonParam } from './filter.js'
import { authorizeCollection, json, type Context, type ReplicaAnswer, type ReplicaRequest } from './context.js'
import { single } from './pull-endpoint.js'
import { normalizeTimestamp } from './timestamp.js'
import { ReplicaError } from './errors.js'

/**
 * The 2015 endpoints, answered the way its Rails controllers did:
 * `GET /offline/download_updated?scope=` (blog: bare array, `collection`) and
 * `GET /replicated_db/download_updates?scope=` (example repository: `{availableUpdatesCount, data}`,
 * `collectionName`). Order `updated_at asc, id asc`; the cursor applies only when both
 * `lastUpdatedCursor` and `lastIdCursor` are present (Ruby truthiness, so 0 and '' count);
 * `availableUpdatesCount` counts every row after the cursor, this page included; the end is an
 * empty page. Soft-deleted rows are left out: this protocol has no tombstones.
 */
export type SeedVariant = 'offline' | 'replicatedDb'

const present = (v: unknown) => v !== undefined && v !== null && v !== false

export async function handleSeed(ctx: Context, request: ReplicaRequest, variant: SeedVariant, pageSize: number): Promise<ReplicaAnswer> {
  const scopeText = single(request.url.searchParams, 'scope')
  if (scopeText === null) throw badRequest('scope is required')
  const scope = parseJsonParam(scopeText, 'scope')
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) throw badRequest('scope must be a JSON object')
  const s = scope as Record<string, unknown>
  const nameKey = variant === 'offline' ? 'collection' : 'collectionName'
  const collection = Object.hasOwn(s, nameKey) ? s[nameKey] : undefined
  if (typeof collection !== 'string' || collection === '') throw badRequest(`scope.${nameKey} must be a non-empty string`)

  const { table, scope: authScope } = await authorizeCollection(ctx, request, collection)
  if (!table.updatedAt) throw new ReplicaError(404, 'unknown_collection', `collection ${JSON.stringify(collection)} has no updated_at column`)
  const filter = filterClauses(Object.hasOwn(s, 'filter') ? s.filter : undefined, table.filterable, ctx.limits, table)

  let after: [string, string | number] | null = null
  const lu = Object.hasOwn(s, 'lastUpdatedCursor') ? s.lastUpdatedCursor : undefined
  const li = Object.hasOwn(s, 'lastIdCursor') ? s.lastIdCursor : undefined
  if (present(lu) && present(li)) {
    const at = typeof lu === 'string' ? normalizeTimestamp(lu) : null
    if (at === null) throw badCursor('lastUpdatedCursor must be a UTC timestamp such as 2015-03-19T20:14:25.123456Z')
    if (!(typeof li === 'string' && li.length <= 256) && !(typeof li === 'number' && Number.isFinite(li))) {
      throw badCursor('lastIdCursor must be a string or a number')
    }
    after = [at, li]
  }

  const plan = { table, clauses: [...filter, ...authScope], after, limit: pageSize, count: variant === 'replicatedDb', countCap: ctx.budget.maxRows }
  // The example-repository variant counts every row after the cursor on every page: a costly read.
  const page = plan.count ? await ctx.gate.run(() => ctx.source.seedPage(plan, ctx.budget)) : await ctx.source.seedPage(plan, ctx.budget)
  const data = `[${page.json.join(',')}]`
  return json(200, variant === 'offline' ? data : `{"availableUpdatesCount":${page.count},"data":${data}}`)
}
