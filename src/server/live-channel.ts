import { ReplicaError, badRequest, busy } from './errors.js'
import { authorizeCollection, type Context, type ReplicaRequest } from './context.js'
import { createPokeHub, type PokeBatch } from './poke-hub.js'
import { visibleValues } from './poke-scope.js'
import type { JsonPrimitive } from '../core/protocol.js'
import type { Clause, TableChanges, TableInfo } from './types.js'

/**
 * `GET <base>/live?collection=a&collection=b`: a Server-Sent Events stream of pokes naming the
 * collections that changed (docs/protocol.md, "Live channel"). A poke carries no row and no key:
 * only names the caller asked for and was authorized to read (exactly as a pull of each would be
 * authorized), and, when the source knows them, the filterable values of changed rows inside the
 * caller's scope, so a client pulls only the subscriptions a change concerns.
 */

/** Options of the live channel (`createReplicaHandler({ live })`). */
export interface LiveChannelOptions {
  /**
   * Open live connections this process holds at once; one more gets `503 busy` with
   * `Retry-After` (its client polls meanwhile).
   * @default 10000
   * @example { live: { maxConnections: 2000 } }
   */
  maxConnections?: number
  /**
   * Milliseconds between heartbeats (an SSE comment), so proxies keep the connection and a dead
   * client is noticed.
   * @default 15000
   * @example { live: { heartbeatMs: 30_000 } }
   */
  heartbeatMs?: number
  /**
   * Milliseconds after which the server closes a connection (with up to 10% jitter, so reconnects
   * spread); the client reconnects at once, and `authorize` is asked again.
   * @default 300000 (5 minutes)
   * @example { live: { maxAgeMs: 60_000 } }
   */
  maxAgeMs?: number
}

/** An accepted channel: its headers, and how to run it over a framework's response. */
export interface LiveStream {
  headers: Record<string, string>
  /** Starts sending through `write`; calls `end` when the server closes. Returns the stop for when the client goes away. */
  start(write: (chunk: string) => void, end: () => void): () => void
}

/** Most collections one channel may name. */
const MAX_COLLECTIONS = 64

export function createLiveChannel(ctx: Context, options: Required<LiveChannelOptions>, onError: (error: unknown) => void) {
  const hub = createPokeHub()
  const open = new Set<() => void>()
  let watching: Promise<(() => Promise<void>) | undefined> | undefined

  /** Start hearing the source at the first connection; then keep hearing until close(). */
  function watch() {
    watching ??= (async () => {
      if (!ctx.source.watch) return undefined
      const tables = await ctx.tables()
      const byTable = new Map<string, string[]>()
      for (const [name, t] of tables) byTable.set(t.table, [...(byTable.get(t.table) ?? []), name])
      const all = [...tables.keys()]
      const pokes = (changed: TableChanges) =>
        changed === 'all'
          ? all.map((collection) => ({ collection }))
          : changed.flatMap(({ table, images }) => (byTable.get(table) ?? []).map((collection) => ({ collection, images })))
      return ctx.source.watch((changed) => hub.publish(pokes(changed)), onError)
    })()
    watching.catch(() => (watching = undefined))
    return watching
  }

  async function accept(request: ReplicaRequest): Promise<LiveStream> {
    if (request.method !== 'GET') throw new ReplicaError(405, 'bad_request', `method ${request.method.slice(0, 16)} not allowed; use GET`)
    const names = [...new Set(request.url.searchParams.getAll('collection'))]
    if (names.length === 0 || names.some((n) => n === '')) throw badRequest('name at least one collection: live?collection=a&collection=b')
    if (names.length > MAX_COLLECTIONS) throw badRequest(`at most ${MAX_COLLECTIONS} collections per channel`)
    for (const [key] of request.url.searchParams) if (key !== 'collection') throw badRequest(`unknown parameter ${JSON.stringify(key.slice(0, 40))}`)
    // One by one, as a pull of each would be: a name the caller may not read refuses the channel.
    const scopes = new Map<string, { table: TableInfo; scope: Clause[] }>()
    for (const name of names) scopes.set(name, await authorizeCollection(ctx, request, name))
    if (open.size >= options.maxConnections) throw busy('too many live connections; poll meanwhile', 5)
    await watch()
    return {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
      start(write, end) {
        let stopped = false
        const send = (chunk: string) => {
          if (stopped) return
          try {
            write(chunk)
          } catch {
            stop()
          }
        }
        const unsubscribe = hub.subscribe((batch) => {
          const poke = pokeFor(batch, scopes)
          if (poke) send(`event: poke\ndata: ${JSON.stringify(poke)}\n\n`)
        })
        const heartbeat = setInterval(() => send(': heartbeat\n\n'), options.heartbeatMs)
        const age = setTimeout(() => {
          stop()
          end()
        }, options.maxAgeMs * (1 - Math.random() * 0.1))
        function stop() {
          if (stopped) return
          stopped = true
          clearInterval(heartbeat)
          clearTimeout(age)
          unsubscribe()
          open.delete(closeNow)
        }
        const closeNow = () => {
          stop()
          end()
        }
        open.add(closeNow)
        send(`event: ready\ndata: ${JSON.stringify({ collections: names })}\n\n`)
        return stop
      },
    }
  }

  return {
    accept,
    /** Connections open now. */
    get connections() {
      return open.size
    },
    /** End every connection and stop hearing the source. */
    async close() {
      for (const closeNow of [...open]) closeNow()
      hub.close()
      const stopWatching = await watching?.catch(() => undefined)
      watching = undefined
      await stopWatching?.()
    },
  }
}

export type LiveChannel = ReturnType<typeof createLiveChannel>

/**
 * One caller's poke from a batch: `{ collections, where? }`, where `where[collection]` lists the
 * filterable values of the changed rows the caller may see (absent: any row). Null: nothing for it.
 */
function pokeFor(batch: PokeBatch, scopes: ReadonlyMap<string, { table: TableInfo; scope: Clause[] }>) {
  const collections: string[] = []
  const where: Record<string, Record<string, JsonPrimitive[]>> = {}
  for (const [name, { table, scope }] of scopes) {
    const images = batch.get(name)
    if (images === undefined) continue
    if (images === null) {
      collections.push(name)
      continue
    }
    const values = visibleValues(images, scope, table)
    if (values === null) continue
    collections.push(name)
    where[name] = values
  }
  if (collections.length === 0) return null
  return Object.keys(where).length ? { collections, where } : { collections }
}

/** Run an accepted channel over node:http. */
export function streamToNode(res: import('node:http').ServerResponse, stream: LiveStream): void {
  res.writeHead(200, stream.headers)
  res.flushHeaders()
  const stop = stream.start(
    (chunk) => void res.write(chunk),
    () => res.end(),
  )
  res.on('close', stop)
}

/** Run an accepted channel as a Fetch API response. */
export function streamToResponse(stream: LiveStream): Response {
  const encoder = new TextEncoder()
  let stop: (() => void) | undefined
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      stop = stream.start(
        (chunk) => controller.enqueue(encoder.encode(chunk)),
        () => controller.close(),
      )
    },
    cancel() {
      stop?.()
    },
  })
  return new Response(body, { status: 200, headers: stream.headers })
}
