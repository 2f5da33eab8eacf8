import type { IncomingMessage, ServerResponse } from 'node:http'
import { ReplicaError, tooLarge } from './errors.js'
import { handleDigest } from './digest.js'
import { handlePull } from './pull-endpoint.js'
import { handlePush } from './push-endpoint.js'
import { checkPushRequest } from './push-route.js'
import { handleSeed } from './seed-endpoint.js'
import type { ReplicaAnswer, ReplicaRequest } from './context.js'
import { errorAnswer } from './answers.js'
import { fetchAdapter, nodeAdapter } from './adapters.js'
import { resolveHandlerConfig } from './handler-config.js'
import type { TableInfo } from './types.js'
import { createLiveChannel, type LiveStream } from './live-channel.js'

import type { ReplicaHandlerOptions } from './handler-options.js'
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

/** A refusal as an answer: `Retry-After` when it says when to come back, and closing the connection after a body refused half-read. */
const refusal = (e: ReplicaError) =>
  errorAnswer(e.status, e.toBody(), {
    ...(e.retryAfter !== undefined ? { 'retry-after': String(e.retryAfter) } : {}),
    ...(e.status === 413 ? { connection: 'close' } : {}),
  })

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
  const { ctx, routes, limits, pushLimits, allowedOrigin, onError, prune, live: liveOptions } = resolveHandlerConfig(options)
  const { pullPath, digestPath, pushPath, pushOn, seeds, livePath } = routes
  const live = liveOptions === false ? undefined : createLiveChannel(ctx, liveOptions, onError)

  /** The live channel: a stream once accepted; its refusals are answers like any other endpoint's. */
  async function openLive(request: ReplicaRequest): Promise<ReplicaAnswer | LiveStream> {
    try {
      return await live!.accept(request)
    } catch (e) {
      if (e instanceof ReplicaError) {
        const answer = refusal(e)
        return e.status === 405 ? { ...answer, headers: { ...answer.headers, allow: 'GET' } } : answer
      }
      onError(e)
      return errorAnswer(500, { error: { code: 'internal', message: 'internal server error' } })
    }
  }
  const stream = live ? { path: livePath, open: openLive } : undefined

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

  const notFound = (): ReplicaAnswer => errorAnswer(404, { error: { code: 'not_found', message: 'no such endpoint' } })
  const targetTooLong = (): ReplicaAnswer => errorAnswer(414, tooLarge(414, `request target over ${limits.maxQueryLength} characters`).toBody())

  return {
    limits,
    ready: () => source.prepare(collections),
    close: async () => live?.close(),
    handle,
    node: nodeAdapter(handle, { maxQueryLength: limits.maxQueryLength, onError, notFound, targetTooLong, stream }),
    fetch: fetchAdapter(handle, { maxQueryLength: limits.maxQueryLength, notFound, targetTooLong, stream }),
  }
}
