import type { Key, SeedScope } from '../core/protocol'
import type { Change, Checkpoint, PullRequest, PullResult, Transport } from '../core/pullWire'
import { asRow, fetchOrThrow, httpError, keyOf, malformed, readJson, resolveHeaders, versionOf } from './validateRow'
import type { HeadersOption } from './validateRow'

export interface SeedTransportOptions {
  /**
   * The 2015 endpoint, either variant.
   * @example seedTransport({ url: 'http://localhost:3000/offline/download_updated' })
   * @example seedTransport({ url: 'http://localhost:3000/replicated_db/download_updates' })
   */
  url: string
  /**
   * Which scope field names the collection: `'collection'` (the blog's `/offline/download_updated`)
   * or `'collectionName'` (the example repository's `/replicated_db/download_updates`).
   * Default: `'collectionName'` when the URL contains `replicated_db`, else `'collection'`.
   * @example seedTransport({ url, collectionField: 'collectionName' })
   */
  collectionField?: 'collection' | 'collectionName'
  /**
   * Name of the timestamp field that orders rows and serves as their version.
   * @example seedTransport({ url, updatedAtField: 'modified_at' })
   */
  updatedAtField?: string
  /**
   * Headers for every request; a function is called per request.
   * @example seedTransport({ url, headers: () => ({ authorization: `Bearer ${getToken()}` }) })
   */
  headers?: HeadersOption
  /** The fetch to use; defaults to the global one. @example seedTransport({ url, fetch: myFetch }) */
  fetch?: typeof fetch
}

/** The 2015 cursor: the last row's id and its `updated_at` string, echoed verbatim. */
interface SeedCheckpoint {
  lastIdCursor: Key
  lastUpdatedCursor: string
  [field: string]: Key
}

/**
 * Speaks the 2015 endpoint exactly: `GET <url>?scope=<url-encoded JSON>`, answered by a bare JSON
 * array or by `{ availableUpdatesCount, data }`, rows ordered `updated_at asc, id asc`, the end
 * being an empty page. A row's version is its `updated_at` string; the protocol has no tombstones.
 *
 * @example
 * createReplica({ collections, transport: seedTransport({ url: '/offline/download_updated' }) })
 */
export function seedTransport(options: SeedTransportOptions): Transport {
  const collectionField = options.collectionField ?? (options.url.includes('replicated_db') ? 'collectionName' : 'collection')
  const updatedAt = options.updatedAtField ?? 'updated_at'
  return {
    async pull(request: PullRequest): Promise<PullResult> {
      const previous = request.checkpoint as SeedCheckpoint | null
      const scope: SeedScope = { [collectionField]: request.collection, filter: request.filter }
      if (previous) {
        scope.lastIdCursor = previous.lastIdCursor
        scope.lastUpdatedCursor = previous.lastUpdatedCursor
      }
      const separator = options.url.includes('?') ? '&' : '?'
      const url = `${options.url}${separator}scope=${encodeURIComponent(JSON.stringify(scope))}`
      const response = await fetchOrThrow(options.fetch ?? globalThis.fetch, url, {
        headers: { accept: 'application/json', ...(await resolveHeaders(options.headers)) },
        signal: request.signal,
      })
      if (!response.ok) throw await httpError(response)
      return parseSeedBody(await readJson(response), request.primaryKey, updatedAt, previous)
    },
  }
}

/** Validates either 2015 answer shape completely before any of it is used. */
export function parseSeedBody(body: unknown, primaryKey: string, updatedAt: string, previous: Checkpoint | null): PullResult {
  let rows: unknown
  let available: number | undefined
  if (Array.isArray(body)) {
    rows = body
  } else if (typeof body === 'object' && body !== null && 'data' in body) {
    const counted = body as { availableUpdatesCount?: unknown; data: unknown }
    rows = counted.data
    if (counted.availableUpdatesCount !== undefined) {
      if (!(Number.isInteger(counted.availableUpdatesCount) && (counted.availableUpdatesCount as number) >= 0)) {
        throw malformed('"availableUpdatesCount" is not a non-negative integer')
      }
      available = counted.availableUpdatesCount as number
    }
  } else {
    throw malformed('expected a JSON array or { availableUpdatesCount, data }')
  }
  if (!Array.isArray(rows)) throw malformed('"data" is not an array')
  const changes = rows.map((value, index): Change => {
    const row = asRow(value, index)
    const version = versionOf(row[updatedAt], updatedAt, index, 'string')
    return { key: keyOf(row, primaryKey, index), version, deleted: false, row }
  })
  const last = changes.at(-1)
  const checkpoint: Checkpoint | null = last
    ? { lastIdCursor: last.key, lastUpdatedCursor: last.version as string }
    : previous
  // The 2015 loop ends on an empty page, so a page with rows always means "ask again".
  const result: PullResult = { changes, checkpoint, hasMore: changes.length > 0 }
  // availableUpdatesCount counts the rows after the cursor sent, this page included.
  if (available !== undefined) result.remaining = Math.max(0, available - changes.length)
  return result
}
