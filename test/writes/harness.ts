import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import type { SetupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { createFocusManager, createOnlineManager, createReplica, httpPushTransport, httpTransport, memoryPersistence } from '../../src'
import type { ConflictDecision, ConflictInfo, Persistence } from '../../src'
import type { WireMutation } from '../../src/protocol'
import { makeStore, waitFor } from '../fixtures/store'
import { todoServer } from './serverFixture'

export interface Todo {
  id: string
  list_id: number
  title: string
  done?: number
  created_at?: string | null
  updated_at?: string | null
  _version?: number
}

/** What the fake network does with one request before (or after) the real handler answers it. */
export type Fault = 'network' | 'drop-answer' | { status: number } | { delay: number }

/**
 * The reference handler over an in-memory SQLite database, reached through msw (so faults can be
 * injected per request: the network down, an answer lost after the server applied the push).
 */
export function writeBackend(server: SetupServer, origin = 'http://replica.test') {
  const backend = todoServer()
  const pushes: WireMutation[][] = []
  const faults: Array<(mutations: WireMutation[] | undefined) => Fault | undefined> = []
  let pushFault: ((mutations: WireMutation[]) => Fault | undefined) | undefined
  server.use(
    http.all(`${origin}/replica/*`, async ({ request }) => {
      let mutations: WireMutation[] | undefined
      if (request.method === 'POST') {
        mutations = ((await request.clone().json()) as { mutations: WireMutation[] }).mutations
        pushes.push(mutations)
      }
      const fault = faults.shift()?.(mutations) ?? (mutations ? pushFault?.(mutations) : undefined)
      if (fault === 'network') return HttpResponse.error()
      if (fault && typeof fault === 'object' && 'status' in fault) {
        return HttpResponse.json({ error: { code: fault.status >= 500 ? 'internal' : 'bad_request', message: `status ${fault.status} from the test` } }, { status: fault.status })
      }
      if (fault && typeof fault === 'object' && 'delay' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delay))
      const answer = await backend.handler.fetch(request)
      // The server applied it; the answer never arrives.
      if (fault === 'drop-answer') return HttpResponse.error()
      return answer
    }),
  )
  return {
    ...backend,
    url: `${origin}/replica`,
    /** Every push request's mutations, in order of arrival. */
    pushes,
    /** Faults for the next requests, one each (pulls included). */
    failNext: (...next: Array<Fault | ((mutations: WireMutation[] | undefined) => Fault | undefined)>) =>
      faults.push(...next.map((f) => (typeof f === 'function' ? f : () => f))),
    /** A fault for every push until set to undefined. */
    setPushFault: (fault: ((mutations: WireMutation[]) => Fault | undefined) | undefined) => (pushFault = fault),
    /** The server's rows as a pull sends them. */
    async serverRow(id: string): Promise<Todo | undefined> {
      const response = await backend.handler.fetch(new Request(`${origin}/replica/pull?collection=todo&limit=1000`))
      const { rows } = (await response.json()) as { rows: Array<Todo & { _deleted?: boolean }> }
      const row = rows.find((r) => r.id === id)
      return row && !row._deleted ? row : undefined
    },
  }
}

export type WriteBackend = ReturnType<typeof writeBackend>

const open = new Set<{ close(): Promise<void> }>()

/** Closes every client a test left open (a failed test must not push into the next one's server). */
export async function closeClients() {
  await Promise.allSettled([...open].map((client) => client.close()))
  open.clear()
}

/** Polls (real time) until `predicate` holds. */
export async function until(predicate: () => boolean, ms = 10_000) {
  const end = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > end) throw new Error('until: timed out')
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** A client replica of the todos over the backend, in a real store, with hand-driven connectivity. */
export function writeClient(
  backend: WriteBackend,
  options: {
    persistence?: Persistence
    online?: boolean
    token?: string
    onConflict?: (conflict: ConflictInfo) => ConflictDecision
  } = {},
) {
  const onlineManager = createOnlineManager({ setEventListener: () => undefined, initiallyOnline: options.online ?? true })
  const focusManager = createFocusManager({ setEventListener: () => undefined })
  const headers = () => (options.token ? { authorization: `Bearer ${options.token}` } : ({} as Record<string, string>))
  const replica = createReplica({
    collections: { todo: {} },
    // Faults are injected per request in order: a live channel's request would take one meant for a pull.
    transport: httpTransport({ url: backend.url, headers, live: false }),
    push: httpPushTransport({ url: backend.url, headers }),
    persistence: options.persistence ?? memoryPersistence(),
    onlineManager,
    focusManager,
    pollingInterval: 0,
    retry: { baseDelay: 20, maxDelay: 60, random: () => 0.5 },
    ...(options.onConflict ? { onConflict: options.onConflict } : {}),
  })
  const store = makeStore(replica)
  open.add(store.replica)
  const state = () => store.getState()
  const todo = (id: string) => replica.selectors.todo.selectById(state(), id) as Todo | undefined
  return {
    replica,
    store,
    onlineManager,
    focusManager,
    todo,
    pending: () => replica.selectors.selectPendingWrites(state()),
    writes: () => replica.selectors.selectWrites(state()),
    save: (row: Partial<Todo> & { id: string }) => store.dispatch(replica.actions.save({ collection: 'todo', row })),
    remove: (id: string) => store.dispatch(replica.actions.remove({ collection: 'todo', key: id })),
    /** Resolves once no write is pending and the push loop is idle. */
    settled: () => waitFor(store, () => replica.selectors.selectPendingWrites(state()) === 0 && replica.selectors.selectWrites(state()).status === 'idle', 10_000),
    waitFor: (predicate: () => boolean) => waitFor(store, predicate, 10_000),
    close: () => store.replica.close(),
  }
}

/** A row 'r' (title 'server v1') on the server, and a client that has pulled it. */
export async function clientHoldingRow(backend: WriteBackend, options: Parameters<typeof writeClient>[1] = {}) {
  backend.db.prepare("INSERT INTO todos (id, list_id, title) VALUES ('r', 1, 'server v1')").run()
  const client = writeClient(backend, options)
  const todos = { collection: 'todo', filter: {} }
  client.store.dispatch(client.replica.actions.subscribe(todos))
  await client.waitFor(() => client.replica.selectors.selectSubscription(client.store.getState(), todos).status === 'synced')
  return client
}

/**
 * For a test file: the msw server the write backends answer through, listening during its tests;
 * after each test the clients are closed and the handlers reset.
 */
export function mswForWrites(): SetupServer {
  const server = setupServer()
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(async () => {
    await closeClients()
    server.resetHandlers()
  })
  afterAll(() => server.close())
  return server
}
