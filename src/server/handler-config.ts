import { checkCollectionsConfig } from './config-check.js'
import { cursorCodec } from './cursor.js'
import { createGate } from './gate.js'
import type { ReplicaHandlerOptions } from './handler-options.js'
import { mutationPruner, originCheck } from './push-route.js'
import type { SeedVariant } from './seed-endpoint.js'
import type { Context } from './context.js'

/** A whole number of at least `min`, or a start-up error naming the option. */
function count(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`redux-replica: ${name} must be an integer of at least ${min}, got ${String(value)}`)
  return value
}

/**
 * The handler's options checked and resolved once, at start-up: the context every endpoint gets,
 * the routes, the limits. A bad option throws here, naming itself, rather than on a request.
 */
export function resolveHandlerConfig(options: ReplicaHandlerOptions) {
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
  const live =
    options.live === false
      ? (false as const)
      : {
          maxConnections: count('live.maxConnections', options.live?.maxConnections, 10_000),
          heartbeatMs: count('live.heartbeatMs', options.live?.heartbeatMs, 15_000),
          maxAgeMs: count('live.maxAgeMs', options.live?.maxAgeMs, 300_000),
        }
  const prune = mutationPruner(source, count('keepMutationIdsFor', options.keepMutationIdsFor, 30 * 24 * 3600 * 1000, 0), onError)
  return {
    ctx,
    routes: { pullPath, digestPath, pushPath, pushOn, seeds, livePath: `${base}/live` },
    live,
    limits,
    pushLimits,
    allowedOrigin,
    onError,
    prune,
  }
}
