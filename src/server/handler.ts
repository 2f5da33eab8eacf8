import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ErrorBody } from '../core/protocol.js'
import { ReplicaError, tooLarge } from './errors.js'
import { checkCollectionsConfig } from './config-check.js'
import { cursorCodec } from './cursor.js'
import { createGate } from './gate.js'
import type { ReplicaHandlerOptions } from './handler-options.js'
import { handleDigest } from './digest.js'
import { handlePull } from './pull-endpoint.js'
import { handlePush } from './push-endpoint.js'
import { checkPushRequest, mutationPruner, originCheck } from './push-route.js'
import { handleSeed, type SeedVariant } from './seed-endpoint.js'
import { json, type Context, type ReplicaAnswer, type ReplicaRequest } from './context.js'
import type { TableInfo } from './types.js'
import { createLiveChannel, streamToNode, streamToResponse, type LiveStream } from './live-channel.js'

export type { ReplicaHandlerOptions } from './handler-options.js'

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
  /**
   * End every live connection and stop listening for changes (PostgreSQL's LISTEN connection).
   * The source stays open: close it yourself. {@link createReplicaServer} calls this on `server.close()`.
   */
  close(): Promise<void>
  /** The effective limits, for servers built around the handler. */
  readonly limits: { maxQueryLength: number; maxBodyBytes: number }
}

const errorAnswer = (status: number, body: ErrorBody, extra?: Record<string, string>) => json(status, JSON.stringify(body), extra)

/** A refusal as an answer: `Retry-After` when it says when to come back, and closing the connection after a body refused half-read. */
const refusal = (e: ReplicaError) =>
  errorAnswer(e.status, e.toBody(), {
    ...(e.retryAfter !== undefined ? { 'retry-after': String(e.retryAfter) } : {}),
    ...(e.status === 413 ? { connection: 'close' } : {}),
  })

/** PostgreSQL data exceptions (class 22: a value that does not fit the column's type) are the client's mistake. */
const isDataError = (e: unknown) =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && /^22[0-9A-Z]{3}$/.test((e as { code: string }).code)

/** A whole number of at least `min`, or a start-up error naming the option. */
function count(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`redux-replica: ${name} must be an integer of at least ${min}, got ${String(value)}`)
  return value
}

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
  if (!source || typeof source.prepare !== 'function') throw new Error('redux-replica: source is required (sqliteSource(...) or postgresSource(...))')
  checkCollectionsConfig(collections)
  const writable = Object.entries(collections).filter(([, c]) => c.writable && c.writable.length > 0)
  if (options.push === true && writable.length === 0) {
    throw new Error('redux-replica: push is on but no collection lists writable columns; add e.g. writable: [\'title\'] to a collection')
  }
  const pushOn = options.push ?? writable.length > 0
  const allowedOrigin = originCheck(options.allowedOrigins)
  const maxPageSize = count('maxPageSize', options.maxPageSize, 1000)
  const limits = { maxQueryLength: count('maxQueryLength', options.maxQueryLength, 32768), maxBodyBytes: count('maxBodyBytes', options.maxBodyBytes, 65536, 0) }
  const scanTimeoutMs = count('scanTimeoutMs', options.scanTimeoutMs, 10_000)
  const ctx: Context = {
    source,
    tables: () => source.prepare(collections),
    codec: cursorCodec(options.cursorSecret),
    limits: {
      maxFilterFields: count('maxFilterFields', options.maxFilterFields, 16),
      maxInValues: count('maxInValues', options.maxInValues, 1000),
      maxValueLength: count('maxValueLength', options.maxValueLength, 1024),
    },
    authorize: options.authorize,
    defaultPageSize: Math.min(count('defaultPageSize', options.defaultPageSize, 250), maxPageSize),
    maxPageSize,
    remaining: options.remaining ?? 'first',
    pageMaxAge: count('pageMaxAge', options.pageMaxAge, 300, 0),
    gate: createGate({
      concurrency: count('maxConcurrentScans', options.maxConcurrentScans, 2),
      queue: count('maxQueuedScans', options.maxQueuedScans, 16, 0),
      maxWaitMs: scanTimeoutMs,
    }),
    budget: { maxRows: count('maxScanRows', options.maxScanRows, 1_000_000), timeoutMs: scanTimeoutMs },
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
  const pushLimits = { maxPushBytes: count('maxPushBytes', options.maxPushBytes, 1_048_576), maxPushMutations: count('maxPushMutations', options.maxPushMutations, 500) }
  if (source.dialect === 'postgres' && options.cursorSecret === undefined) {
    console.warn(
      'redux-replica: no cursorSecret on PostgreSQL: cursors are signed with a random key of this process, so another ' +
        'instance (or this one after a restart) refuses them. Set the same cursorSecret on every instance (docs/server.md).',
    )
  }
  const livePath = `${base}/live`
  const live =
    options.live === false
      ? undefined
      : createLiveChannel(
          ctx,
          {
            maxConnections: count('live.maxConnections', options.live?.maxConnections, 10_000),
            heartbeatMs: count('live.heartbeatMs', options.live?.heartbeatMs, 15_000),
            maxAgeMs: count('live.maxAgeMs', options.live?.maxAgeMs, 300_000),
          },
          onError,
        )
  /** The live channel's refusals are answers like any other endpoint's. */
  async function openLive(request: ReplicaRequest): Promise<ReplicaAnswer | LiveStream> {
    try {
      return await live!.accept(request)
    } catch (e) {
      if (e instanceof ReplicaError) return e.status === 405 ? { ...refusal(e), headers: { ...refusal(e).headers, allow: 'GET' } } : refusal(e)
      onError(e)
      return errorAnswer(500, { error: { code: 'internal', message: 'internal server error' } })
    }
  }
  const prune = mutationPruner(source, count('keepMutationIdsFor', options.keepMutationIdsFor, 30 * 24 * 3600 * 1000, 0), onError)

  async function push(request: ReplicaRequest): Promise<ReplicaAnswer> {
    try {
      checkPushRequest(request, { allowedOrigin, maxPushBytes: pushLimits.maxPushBytes })
      const answer = await handlePush(ctx, request, pushLimits)
      await prune()
      return answer
    } catch (e) {
      // A push refused before or while its body was read may leave the rest of the body on the
      // connection: close it rather than read on for the next request.
      if (e instanceof ReplicaError) {
        const answer = refusal(e)
        return { ...answer, headers: { ...answer.headers, connection: 'close', ...(e.status === 405 ? { allow: 'POST' } : {}) } }
      }
      onError(e)
      return errorAnswer(500, { error: { code: 'internal', message: 'internal server error' } })
    }
  }

  async function handle(request: ReplicaRequest): Promise<ReplicaAnswer | null> {
    const path = request.url.pathname
    if (path === pushPath && pushOn) return push(request)
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
      if (e instanceof ReplicaError) return refusal(e)
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
    close: async () => live?.close(),
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
      if (live && url.pathname === livePath) {
        openLive(request).then(
          (a) => ('body' in a ? send(res, a) : streamToNode(res, a)),
          (e) => onError(e),
        )
        return
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
      if (live && url.pathname === livePath && url.pathname.length + url.search.length <= limits.maxQueryLength) {
        const a = await openLive({ method: req.method, url, headers: req.headers, raw: req })
        return 'body' in a ? new Response(a.body, { status: a.status, headers: a.headers }) : streamToResponse(a)
      }
      const a =
        url.pathname.length + url.search.length > limits.maxQueryLength
          ? targetTooLong()
          : ((await handle({ method: req.method, url, headers: req.headers, raw: req })) ?? notFound())
      return new Response(a.body, { status: a.status, headers: a.headers })
    },
  }
}
