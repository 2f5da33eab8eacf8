import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFocusManager, createOnlineManager, createReplica, httpTransport, memoryPersistence } from '../../src'
import type { ReplicaEvent } from '../../src'
import { createReplicaHandler, sqliteSource } from '../../src/server/index.js'
import { SECRET, serve } from '../server/helpers.js'
import { makeStore, waitFor } from '../fixtures/store.js'

// The client's side of the live channel against the reference server (SQLite, loopback), with a
// fetch that can answer the channel's requests itself: what a server without a channel, or one
// sending garbage, does to a client.
let db: Database.Database
let http: Awaited<ReturnType<typeof serve>>
let nextId = 1
beforeAll(async () => {
  db = new Database(':memory:')
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, body TEXT NOT NULL)')
  const handler = createReplicaHandler({ source: sqliteSource({ db }), collections: { note: { table: 'notes', filterable: ['project_id'] } }, authorize: () => ({}), cursorSecret: SECRET, basePath: '/replica' })
  await handler.ready()
  http = await serve(handler)
})
afterAll(async () => {
  await http.close()
  db.close()
})

const insert = (body: string) => db.prepare('INSERT INTO notes (id, project_id, body) VALUES (?, 1, ?)').run(nextId++, body)

function client(liveAnswer: (attempt: number) => Response | null, pollingInterval: number, { pullDelay = 0 } = {}) {
  const events: ReplicaEvent[] = []
  let attempts = 0
  const fetchWith: typeof fetch = async (input, init) => {
    if (String(input).includes('/live?')) {
      const answer = liveAnswer(attempts++)
      if (answer) return answer
    }
    if (pullDelay > 0 && String(input).includes('/pull?')) await new Promise((resolve) => setTimeout(resolve, pullDelay))
    return fetch(input, init)
  }
  const replica = createReplica({
    collections: { note: {} },
    transport: httpTransport({ url: `${http.base}/replica`, fetch: fetchWith }),
    persistence: memoryPersistence(),
    pollingInterval,
    retry: { baseDelay: 20, maxDelay: 100 },
    onlineManager: createOnlineManager({ setEventListener: () => undefined, initiallyOnline: true }),
    focusManager: createFocusManager({ setEventListener: () => undefined }),
    onEvent: (e) => events.push(e),
  })
  const store = makeStore(replica)
  store.dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: 1 } }))
  const bodies = () => (replica.selectors.note.selectAll(store.getState()) as Array<{ body: string }>).map((n) => n.body)
  return { store, events, bodies, attempts: () => attempts, sees: (body: string) => waitFor(store, () => bodies().includes(body), 10_000) }
}

const until = async (predicate: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('the live channel, client side', () => {
  it('a poke storm while each pull is slow costs a handful of pulls, not one per pull', async () => {
    // A channel that pokes every 10 ms for 3 s (then ends), over pulls that take 250 ms each: pokes ringing
    // during a pull belong to the same storm, so the space between pulls keeps doubling (100, 200,
    // 400 ... 2,000 ms). Counting the quiet from a pull's start instead would pull back to back.
    const STORM_MS = 3_000
    let stormStarted = 0
    const storm = () => {
      const encoder = new TextEncoder()
      let timer: ReturnType<typeof setInterval> | undefined
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode('event: ready\ndata: {"collections":["note"]}\n\n'))
          stormStarted = Date.now()
          timer = setInterval(() => {
            if (Date.now() - stormStarted > STORM_MS) {
              clearInterval(timer)
              return controller.close()
            }
            controller.enqueue(encoder.encode('event: poke\ndata: {"collections":["note"]}\n\n'))
          }, 10)
        },
        cancel: () => clearInterval(timer),
      })
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
    }
    const c = client((attempt) => (attempt === 0 ? storm() : null), 60_000, { pullDelay: 250 })
    await until(() => stormStarted > 0 && Date.now() - stormStarted > STORM_MS + 2_500, 20_000)
    const pokePulls = c.events.filter((e) => e.type === 'pullStarted' && e.trigger === 'poke').length
    expect(pokePulls).toBeGreaterThan(0)
    // 3.5 s of storm and tail at pulls spaced 100, 200, 400, 800, 1,600, 2,000 ms: about 6 (back to back: 13 or more).
    expect(pokePulls).toBeLessThanOrEqual(8)
    await c.store.replica.close()
  })

  it('a server without a channel (404): the client polls, and does not ask again for a long while', async () => {
    const c = client(() => new Response('{"error":{"code":"not_found","message":"no"}}', { status: 404, headers: { 'content-type': 'application/json' } }), 100)
    await until(() => c.events.some((e) => e.type === 'channel' && e.state === 'failed'))
    insert('polled in')
    await c.sees('polled in')
    // ten times maxDelay (1 s) before the next try; by now, well under that, still one attempt.
    expect(c.attempts()).toBe(1)
    await c.store.replica.close()
  })

  it('a malformed poke fails the channel, which is reopened with backoff; pokes then work', async () => {
    const garbage = () => new Response('event: poke\ndata: {"collections":7}\n\n', { status: 200, headers: { 'content-type': 'text/event-stream' } })
    const c = client((attempt) => (attempt < 2 ? garbage() : null), 3_600_000)
    await until(() => c.events.some((e) => e.type === 'channel' && e.state === 'open'))
    const failures = c.events.filter((e) => e.type === 'channel' && e.state === 'failed')
    expect(failures.length).toBe(2)
    expect((failures[0] as { error?: { code?: string } }).error?.code).toBe('malformed_page')
    insert('poked in')
    await c.sees('poked in')
    expect(c.events.filter((e) => e.type === 'pullStarted' && e.trigger === 'poll')).toEqual([])
    await c.store.replica.close()
  })

  it('an answer that is not an event stream is refused like a malformed page', async () => {
    const c = client((attempt) => (attempt === 0 ? new Response('<html>login</html>', { status: 200, headers: { 'content-type': 'text/html' } }) : null), 3_600_000)
    await until(() => c.events.some((e) => e.type === 'channel' && e.state === 'open'))
    expect(c.events.find((e) => e.type === 'channel' && e.state === 'failed')).toMatchObject({ error: { code: 'malformed_page' } })
    await c.store.replica.close()
  })

  it('close() ends the channel: no request and no event after it', async () => {
    const c = client(() => null, 3_600_000)
    await until(() => c.events.some((e) => e.type === 'channel' && e.state === 'open'))
    await c.store.replica.close()
    const after = c.events.length
    insert('after close')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(c.events.slice(after)).toEqual([])
  })
})
