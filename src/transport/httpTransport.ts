import type { PullResponseBody } from '../core/protocol'
import { DELETED_FIELD, VERSION_FIELD } from '../core/protocol'
import { parseDigestBody } from './digestBody'
import type { Change, DigestRequest, DigestResult, PullRequest, PullResult, Transport } from '../core/pullWire'
import { readLiveChannel } from './liveStream'
import { asRow, fetchOrThrow, httpError, keyOf, malformed, readJson, versionOf } from './validateRow'

export interface HttpTransportOptions {
  /**
   * Base URL of the replica endpoint; pulls go to `<url>/pull`, digest checks to `<url>/digest`.
   * @example httpTransport({ url: 'http://localhost:3000/replica' })
   */
  url: string
  /**
   * Headers for every request, e.g. a bearer token. A function is called per request.
   * @example httpTransport({ url, headers: () => ({ authorization: `Bearer ${getToken()}` }) })
   */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>)
  /**
   * The fetch to use; defaults to the global one.
   * @example httpTransport({ url, fetch: myInstrumentedFetch })
   */
  fetch?: typeof fetch
  /**
   * Hold the server's live channel (`GET <url>/live`, Server-Sent Events) open so that changes
   * arrive in milliseconds; polling stays on as the fallback while it is down. `false` turns it
   * off: the client then learns of changes at its polls only.
   * @default true
   * @example httpTransport({ url, live: false })
   */
  live?: boolean
}

/**
 * Speaks our own protocol (docs/protocol.md): `GET <url>/pull?collection&filter&cursor&limit`
 * answered by `{ rows, cursor, hasMore, remaining }`, tombstones as `{ id, _version, _deleted: true }`;
 * `GET <url>/digest?collection&filter&cursor` answered by `{ count, hash }`; and the live channel
 * `GET <url>/live?collection=a&collection=b`, a stream of pokes (off with `live: false`).
 *
 * @example
 * createReplica({ collections, transport: httpTransport({ url: 'https://api.example.com/replica' }) })
 */
export function httpTransport(options: HttpTransportOptions): Transport {
  const base = options.url.replace(/\/+$/, '')
  const transport: Transport = {
    async pull(request: PullRequest): Promise<PullResult> {
      const params = new URLSearchParams({ collection: request.collection, filter: JSON.stringify(request.filter) })
      if (typeof request.checkpoint === 'string') params.set('cursor', request.checkpoint)
      params.set('limit', String(request.limit))
      const headers = typeof options.headers === 'function' ? await options.headers() : options.headers
      const response = await fetchOrThrow(options.fetch ?? globalThis.fetch, `${base}/pull?${params}`, {
        headers: { accept: 'application/json', ...headers },
        signal: request.signal,
      })
      if (!response.ok) throw await httpError(response)
      return parsePullBody(await readJson(response), request.primaryKey)
    },
    async digest(request: DigestRequest): Promise<DigestResult> {
      const params = new URLSearchParams({ collection: request.collection, filter: JSON.stringify(request.filter) })
      if (typeof request.checkpoint === 'string') params.set('cursor', request.checkpoint)
      const headers = typeof options.headers === 'function' ? await options.headers() : options.headers
      const response = await fetchOrThrow(options.fetch ?? globalThis.fetch, `${base}/digest?${params}`, {
        headers: { accept: 'application/json', ...headers },
        signal: request.signal,
      })
      if (!response.ok) throw await httpError(response)
      return parseDigestBody(await readJson(response))
    },
  }
  if (options.live !== false) {
    transport.live = async (request) => {
      const params = new URLSearchParams()
      for (const collection of request.collections) params.append('collection', collection)
      const headers = typeof options.headers === 'function' ? await options.headers() : options.headers
      return readLiveChannel(options.fetch ?? globalThis.fetch, `${base}/live?${params}`, headers, request)
    }
  }
  return transport
}

/** Validates a pull answer completely before any of it is used. */
export function parsePullBody(body: unknown, primaryKey: string): PullResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed('the body is not an object')
  const { rows, cursor, hasMore, remaining, heldBack } = body as Partial<PullResponseBody>
  if (!Array.isArray(rows)) throw malformed('"rows" is not an array')
  if (cursor !== null && typeof cursor !== 'string') throw malformed('"cursor" is not a string or null')
  if (typeof hasMore !== 'boolean') throw malformed('"hasMore" is not a boolean')
  if (remaining !== undefined && !(Number.isInteger(remaining) && remaining >= 0)) {
    throw malformed('"remaining" is not a non-negative integer')
  }
  if (heldBack !== undefined && typeof heldBack !== 'boolean') throw malformed('"heldBack" is not a boolean')
  if (rows.length > 0 && cursor === null) throw malformed('rows came without a cursor')
  const changes = rows.map((value, index): Change => {
    const row = asRow(value, index)
    const key = keyOf(row, primaryKey, index)
    const version = versionOf(row[VERSION_FIELD], VERSION_FIELD, index, 'number')
    const deleted = row[DELETED_FIELD]
    if (deleted !== undefined && typeof deleted !== 'boolean') throw malformed(`row ${index} has a non-boolean ${DELETED_FIELD}`)
    return deleted === true ? { key, version, deleted: true } : { key, version, deleted: false, row }
  })
  const result: PullResult = { changes, checkpoint: cursor, hasMore }
  if (remaining !== undefined) result.remaining = remaining
  if (heldBack === true && !hasMore) result.heldBack = true
  return result
}
