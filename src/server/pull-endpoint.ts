import { ReplicaError, badLimit, badRequest, preview } from './errors.js'
import { filterClauses, parseJsonParam } from './filter.js'
import { cachedPage } from './pull-cache.js'
import { authorizeCollection, json, type Context, type ReplicaAnswer, type ReplicaRequest } from './context.js'

/** `GET <base>/pull?collection&filter&cursor&limit` (docs/protocol.md). */

/** A query parameter that may appear at most once (a repeated one is ambiguous, so refused). */
export function single(params: URLSearchParams, name: string): string | null {
  const all = params.getAll(name)
  if (all.length > 1) throw badRequest(`${name} given more than once`)
  return all[0] ?? null
}

const DIGITS = /^[0-9]{1,9}$/

function parseLimit(text: string | null, ctx: Context): number {
  if (text === null || text === '') return ctx.defaultPageSize
  if (!DIGITS.test(text)) throw badLimit(`limit must be an integer from 1 to ${ctx.maxPageSize}, got ${JSON.stringify(preview(text, 20))}`)
  const n = Number(text)
  if (n < 1 || n > ctx.maxPageSize) throw badLimit(`limit must be an integer from 1 to ${ctx.maxPageSize}, got ${n}`)
  return n
}

/**
 * What every endpoint about one subscription reads first, validated the same way for each: the
 * collection (allow-listed, authorized), its filter (allow-listed fields, limits), the caller's
 * scope ANDed with it (a filter can only narrow what the scope allows), and the cursor's text.
 */
export async function readSubscriptionQuery(ctx: Context, request: ReplicaRequest) {
  const params = request.url.searchParams
  const collection = single(params, 'collection')
  if (!collection) throw badRequest('collection is required')
  const filterText = single(params, 'filter')
  const cursorText = single(params, 'cursor') || null
  const { table, scope } = await authorizeCollection(ctx, request, collection)
  const filter = filterText === null || filterText === '' ? [] : filterClauses(parseJsonParam(filterText, 'filter'), table.filterable, ctx.limits, table)
  return { collection, table, clauses: [...filter, ...scope], cursorText }
}

export async function handlePull(ctx: Context, request: ReplicaRequest): Promise<ReplicaAnswer> {
  const limitText = single(request.url.searchParams, 'limit')
  const { collection, table, clauses, cursorText } = await readSubscriptionQuery(ctx, request)
  const limit = parseLimit(limitText, ctx)
  const after = cursorText === null ? null : ctx.codec.decode(collection, cursorText)
  const rows = await ctx.source.pull({ table, clauses, after, limit })
  const hasMore = rows.length > limit
  if (hasMore) rows.length = limit
  const last = rows.at(-1)
  const next = last ? { v: Number(last.v), id: last.id } : null
  const cursor = next ? ctx.codec.encode(collection, next) : after ? cursorText : null
  let tail = ''
  // Counting is O(rows after the cursor): on every page of a long sync it costs several times the
  // pull itself (docs/server.md), so by default only the first page (no cursor) pays for it.
  if (!hasMore && ctx.remaining !== false) tail = ',"remaining":0'
  else if (ctx.remaining === true || (ctx.remaining === 'first' && !after)) {
    // `remaining` is a courtesy: when counts are busy the page goes without it, never waits or fails.
    const n = await ctx.gate.run(() => ctx.source.countAfter({ table, clauses, after: next, limit }, ctx.budget)).catch((e: unknown) => {
      if (e instanceof ReplicaError && e.code === 'busy') return null
      throw e
    })
    if (n !== null) tail = `,"remaining":${n}`
  }
  // The client may trust a caught-up stream (sweep, compare digests) only if nothing is held back.
  if (!hasMore && (await ctx.source.heldBack({ table, clauses, after: next ?? after, limit }))) tail += ',"heldBack":true'
  let body = '{"rows":['
  for (let i = 0; i < rows.length; i++) body += (i ? ',' : '') + rows[i]!.json
  body += `],"cursor":${JSON.stringify(cursor)},"hasMore":${hasMore}${tail}}`
  return hasMore && ctx.pageMaxAge > 0 ? cachedPage(request, body, ctx.pageMaxAge) : json(200, body)
}
