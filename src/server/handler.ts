import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ErrorBody } from '../protocol.js'
import { ReplicaError, tooLarge } from './errors.js'
import { cursorCodec } from './cursor.js'
import { handleDigest } from './digest.js'
import { handlePull } from './pull-endpoint.js'
import { handlePush } from './push-endpoint.js'
import { handleSeed, type SeedVariant } from './seed-endpoint.js'
import { json, type Authorize, type Context, type ReplicaAnswer, type ReplicaRequest } from './context.js'
import type { CollectionsConfig, ReplicaSource, TableInfo } from './types.js'

/** Options of {@link createReplicaHandler}. */
export interface ReplicaHandlerOptions {
  /**
   * Where rows come from.
   * @example { source: sqliteSource({ db: './data/app.db' }) }
   * @example { source: postgresSource({ pool: new pg.Pool() }) }
   */
  source: ReplicaSource
  /**
   * The allow-list: collections by name, each a table with its filterable fields.
   * @example { collections: { note: { table: 'notes', filterable: ['project_id'] } } }
   */
  collections: CollectionsConfig
  /**
   * Who is calling and what may they read. Required: pass `() => ({})` to serve everything to
   * everyone. Return a scope (ANDed into every query), `null` (401) or `false` (403), or throw a
   * `ReplicaError`.
   * @example
   * authorize: (req) => {
   *   const user = sessions.get(req.headers.get('authorization') ?? '')
   *   return user ? { project_id: user.projectIds } : null
   * }
   */
  authorize: Authorize
  /**
   * Path prefix of our protocol's endpoints: the pull answers at `${basePath}/pull`, the digest
   * (docs/protocol.md) at `${basePath}/digest`. Requests for
   * other paths get `404 not_found`, or go to `next()` in the node face when one is given.
   * @default ''
   * @example { basePath: '/replica' } // GET /replica/pull?collection=note
   */
  basePath?: string
  /**
   * Paths of the 2015 endpoints (absolute, not under `basePath`), or false to turn one or both off.
   * @default { offline: '/offline/download_updated', replicatedDb: '/replicated_db/download_updates' }
   * @example { seedEndpoints: false }
   * @example { seedEndpoints: { offline: '/api/offline/download_updated', replicatedDb: false } }
   */
  seedEndpoints?: false | { offline?: string | false; replicatedDb?: string | false }
  /**
   * Page sizes of the 2015 endpoints: the blog's controller used 250, the example repository 1000.
   * @default { offline: 250, replicatedDb: 1000 }
   * @example { seedPageSize: { replicatedDb: 250 } }
   */
  seedPageSize?: { offline?: number; replicatedDb?: number }
  /**
   * Largest `limit` a client may ask for; more is `400 bad_limit`.
   * @default 1000
   * @example { maxPageSize: 500 }
   */
  maxPageSize?: number
  /**
   * Page size when the client sends no `limit`.
   * @default 250 (or maxPageSize if smaller)
   * @example { defaultPageSize: 100 }
   */
  defaultPageSize?: number
  /**
   * Most fields in one filter (`400 bad_filter` beyond).
   * @default 16
   * @example { maxFilterFields: 4 }
   */
  maxFilterFields?: number
  /**
   * Most values in one filter, all IN lists together (`400 bad_filter` beyond).
   * @default 1000
   * @example { maxInValues: 200 }
   */
  maxInValues?: number
  /**
   * Longest string filter value, in characters (`400 bad_filter` beyond).
   * @default 1024
   * @example { maxValueLength: 256 }
   */
  maxValueLength?: number
  /**
   * Longest request target (path plus query string), in characters (`414 too_large` beyond).
   * {@link createReplicaServer} sizes node's header limit above this so the answer is ours.
   * @default 32768
   * @example { maxQueryLength: 8192 }
   */
  maxQueryLength?: number
  /**
   * Largest request body, by Content-Length (`413 too_large` beyond). The endpoints are GETs;
   * this refuses large uploads without reading them.
   * @default 65536
   * @example { maxBodyBytes: 0 }
   */
  maxBodyBytes?: number
  /**
   * Key that signs cursors (16 bytes or more). Without it a random key is made per process, so
   * cursors stop working when the server restarts (clients get `400 bad_cursor`): set it in
   * production, the same on every instance.
   * @example { cursorSecret: process.env.REPLICA_CURSOR_SECRET }
   */
  cursorSecret?: string | Uint8Array
  /**
   * When pull answers carry `remaining` (rows after this page). `'first'`: on the first page of a
   * sync (no cursor) and whenever nothing is left (0, free); `true`: on every page, at the cost of
   * a COUNT over the rest of the subscription per page (about 4x the cost of the pull itself over
   * 100,000 rows, see docs/server.md); `false`: never.
   * @default 'first'
   * @example { remaining: true }
   */
  remaining?: boolean | 'first'
  /**
   * Called with every unexpected error (answered `500 internal`).
   * @default console.error
   * @example { onError: (err) => logger.error(err) }
   */
  onError?: (error: unknown) => void
  /**
   * Serve `POST ${basePath}/push`, where clients' local writes arrive (docs/writes.md). Each
   * collection's `writable` option and the caller's `authorize` scope limit what may be written.
   * @default true
   * @example { push: false } // a read-only server
   */
  push?: boolean
  /**
   * Largest push body, in bytes (`413 too_large` beyond; read up to this much, never more).
   * @default 1048576
   * @example { maxPushBytes: 262144 }
   */
  maxPushBytes?: number
  /**
   * Most mutations in one push (`413 too_large` beyond). The client sends 100 at most by default.
   * @default 500
   * @example { maxPushMutations: 100 }
   */
  maxPushMutations?: number
}

/** The handler, with one face per kind of server. */
export interface ReplicaHandler {
  /** node:http / Express / Fastify (`fastify.all('/*', (req, rep) => replica.node(req.raw, rep.raw))`). */
  node(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void
  /** Fetch API: Deno, Bun, Cloudflare Workers, Hono, Next.js route handlers. */
  fetch(request: Request): Promise<Response>
  /** The framework-agnostic core: one request in, one answer out. Null when no route matches. */
  handle(request: ReplicaRequest): Promise<ReplicaAnswer | null>
  /** Prepare the source (install columns, indexes, triggers). Requests do it lazily; call it at startup to fail early. */
  ready(): Promise<Map<string, TableInfo>>
  /** The effective limits, for servers built around the handler. */
  readonly limits: { maxQueryLength: number; maxBodyBytes: number }
}

const errorAnswer = (status: number, body: ErrorBody, extra?: Record<string, string>) => json(status, JSON.stringify(body), extra)

/** PostgreSQL data exceptions (class 22: a value that does not fit the column's type) are the client's mistake. */
const isDataError = (e: unknown) =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && /^22[0-9A-Z]{3}$/.test((e as { code: string }).code)

/**
 * Serve our pull protocol and the 2015 endpoints over a SQL source.
 *
 * @example
 * import http from 'node:http'
 * import { createReplicaHandler, sqliteSource } from 'redux-replica/server'
 * const replica = createReplicaHandler({
 *   source: sqliteSource({ db: './data/app.db' }),
 *   collections: { note: { table: 'notes', filterable: ['project_id'] } },
 *   authorize: (req) => (req.headers.get('authorization') ? { project_id: 1 } : null),
 *   basePath: '/replica',
 * })
 * http.createServer(replica.node).listen(3000)
 */
export function createReplicaHandler(options: ReplicaHandlerOptions): ReplicaHandler {
  const { source, collections } = options
  if (typeof options.authorize !== 'function') throw new Error('redux-replica: authorize is required (use () => ({}) to allow everything)')
  const maxPageSize = options.maxPageSize ?? 1000
  const limits = { maxQueryLength: options.maxQueryLength ?? 32768, maxBodyBytes: options.maxBodyBytes ?? 65536 }
  const ctx: Context = {
    source,
    tables: () => source.prepare(collections),
    codec: cursorCodec(options.cursorSecret),
    limits: {
      maxFilterFields: options.maxFilterFields ?? 16,
      maxInValues: options.maxInValues ?? 1000,
      maxValueLength: options.maxValueLength ?? 1024,
    },
    authorize: options.authorize,
    defaultPageSize: Math.min(options.defaultPageSize ?? 250, maxPageSize),
    maxPageSize,
    remaining: options.remaining ?? 'first',
  }
  const base = (options.basePath ?? '').replace(/\/+$/, '')
  const pullPath = `${base}/pull`
  const digestPath = `${base}/digest`
  const seeds = new Map<string, { variant: SeedVariant; size: number }>()
  if (options.seedEndpoints !== false) {
    const off = options.seedEndpoints?.offline ?? '/offline/download_updated'
    const rdb = options.seedEndpoints?.replicatedDb ?? '/replicated_db/download_updates'
    if (off) seeds.set(off, { variant: 'offline', size: options.seedPageSize?.offline ?? 250 })
    if (rdb) seeds.set(rdb, { variant: 'replicatedDb', size: options.seedPageSize?.replicatedDb ?? 1000 })
  }
  const onError = options.onError ?? ((e: unknown) => console.error('redux-replica:', e))
  const pushPath = `${base}/push`
  const pushLimits = { maxPushBytes: options.maxPushBytes ?? 1_048_576, maxPushMutations: options.maxPushMutations ?? 500 }

  async function push(request: ReplicaRequest): Promise<ReplicaAnswer> {
    try {
      if (request.method !== 'POST') {
        return errorAnswer(405, { error: { code: 'bad_request', message: `method ${request.method.slice(0, 16)} not allowed; use POST` } }, { allow: 'POST' })
      }
      const length = Number(request.headers.get('content-length') ?? 0)
      if (length > pushLimits.maxPushBytes) throw tooLarge(413, `request body over ${pushLimits.maxPushBytes} bytes`)
      return await handlePush(ctx, request, collections, pushLimits)
    } catch (e) {
      // A body refused half-read leaves the rest on the connection: close it after answering.
      if (e instanceof ReplicaError) return errorAnswer(e.status, e.toBody(), e.status === 413 ? { connection: 'close' } : undefined)
      onError(e)
      return errorAnswer(500, { error: { code: 'internal', message: 'internal server error' } })
    }
  }

  async function handle(request: ReplicaRequest): Promise<ReplicaAnswer | null> {
    const path = request.url.pathname
    if (path === pushPath && options.push !== false) return push(request)
    const seed = seeds.get(path)
    if (path !== pullPath && path !== digestPath && !seed) return null
    try {
      if (request.method !== 'GET') {
        return errorAnswer(405, { error: { code: 'bad_request', message: `method ${request.method.slice(0, 16)} not allowed; use GET` } }, { allow: 'GET' })
      }
      const length = Number(request.headers.get('content-length') ?? 0)
      if (length > limits.maxBodyBytes) throw tooLarge(413, `request body over ${limits.maxBodyBytes} bytes`)
      if (seed) return await handleSeed(ctx, request, seed.variant, seed.size)
      return path === digestPath ? await handleDigest(ctx, request) : await handlePull(ctx, request)
    } catch (e) {
      if (e instanceof ReplicaError) return errorAnswer(e.status, e.toBody())
      if (isDataError(e)) return errorAnswer(400, { error: { code: 'bad_filter', message: 'a filter value does not fit the type of its column' } })
      onError(e)
      return errorAnswer(500, { error: { code: 'internal', message: 'internal server error' } })
    }
  }

  const notFound = () => errorAnswer(404, { error: { code: 'not_found', message: 'no such endpoint' } })
  const targetTooLong = () => errorAnswer(414, tooLarge(414, `request target over ${limits.maxQueryLength} characters`).toBody())

  function send(res: ServerResponse, a: ReplicaAnswer) {
    res.writeHead(a.status, { ...a.headers, 'content-length': Buffer.byteLength(a.body) })
    res.end(a.body)
  }

  return {
    limits,
    ready: () => source.prepare(collections),
    handle,
    node(req, res, next) {
      const target = req.url ?? '/'
      if (target.length > limits.maxQueryLength) return send(res, targetTooLong())
      let url: URL
      try {
        url = new URL(target, 'http://localhost')
      } catch {
        return send(res, errorAnswer(400, { error: { code: 'bad_request', message: 'malformed request target' } }))
      }
      const request: ReplicaRequest = {
        method: req.method ?? 'GET',
        url,
        raw: req,
        headers: {
          get(name) {
            const v = req.headers[name.toLowerCase()]
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
          },
        },
      }
      handle(request).then(
        (a) => (a ? send(res, a) : next ? next() : send(res, notFound())),
        (e) => {
          onError(e)
          if (!res.headersSent) send(res, errorAnswer(500, { error: { code: 'internal', message: 'internal server error' } }))
        },
      )
    },
    async fetch(req) {
      const url = new URL(req.url)
      const a =
        url.pathname.length + url.search.length > limits.maxQueryLength
          ? targetTooLong()
          : ((await handle({ method: req.method, url, headers: req.headers, raw: req })) ?? notFound())
      return new Response(a.body, { status: a.status, headers: a.headers })
    },
  }
}
