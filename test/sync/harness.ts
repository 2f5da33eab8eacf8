import { setupServer } from 'msw/node'
import type { SetupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest'
import { createFocusManager, createOnlineManager, createReplica, httpTransport, memoryPersistence } from '../../src'
import type { ReplicaEvent, ReplicaOptions, SubscriptionState } from '../../src'
import { protocolServer } from '../fixtures/protocolServer'
import { makeStore } from '../fixtures/store'

/** Fake the timers and the clock, but leave microtasks real: msw needs them. */
export function useFakeClock() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
}

/**
 * For a test file: an msw server for the whole file (unhandled requests fail the test), and the
 * fake clock in each test, real timers restored after it.
 */
export function useMockServerAndFakeClock(): SetupServer {
  const server = setupServer()
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  beforeEach(useFakeClock)
  afterEach(() => {
    server.resetHandlers()
    vi.useRealTimers()
  })
  afterAll(() => server.close())
  return server
}

/** Lets fake time pass, running every timer due and the promise chains they start. */
export const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms)

/** Advances fake time in small steps until `predicate` holds; returns the fake ms it took. */
export async function advanceUntil(predicate: () => boolean, limit = 60_000, step = 10): Promise<number> {
  const started = Date.now()
  let elapsed = 0
  await advance(0)
  while (!predicate()) {
    if (elapsed >= limit) throw new Error(`condition not met within ${limit} ms of fake time`)
    await advance(step)
    elapsed += step
  }
  return Date.now() - started
}

type Options = Omit<ReplicaOptions<{ note: object; contact: object }, 'replica'>, 'collections' | 'transport'> & {
  tables?: NonNullable<Parameters<typeof protocolServer>[0]>['tables']
  /** Wraps fetch, e.g. to see each request's signal. */
  fetch?: typeof fetch
  headers?: () => Record<string, string>
}

/**
 * A replica over the protocol emulation, in a real store (serializable and immutable checks on),
 * with hand-driven online and focus managers and every event recorded.
 */
export function liveReplica(server: SetupServer, options: Options = {}) {
  const { tables, fetch, headers, ...replicaOptions } = options
  const api = protocolServer({ tables: tables ?? { note: [], contact: [] } })
  server.use(api.handler)
  const onlineManager = createOnlineManager({ setEventListener: () => undefined, initiallyOnline: true })
  const focusManager = createFocusManager({ setEventListener: () => undefined })
  const events: ReplicaEvent[] = []
  const replica = createReplica({
    collections: { note: {}, contact: {} },
    // The emulation has no live channel: these tests are about pulls, polls and their failures.
    transport: httpTransport({ url: api.url, live: false, ...(fetch ? { fetch } : {}), ...(headers ? { headers } : {}) }),
    persistence: memoryPersistence(),
    onlineManager,
    focusManager,
    onEvent: (event) => events.push(event),
    ...replicaOptions,
  })
  const store = makeStore(replica)
  let notifications = 0
  store.subscribe(() => notifications++)
  const statusOf = (scope: { collection: string; filter?: Record<string, never> | object }): SubscriptionState =>
    replica.selectors.selectSubscription(store.getState(), scope as never)
  return {
    /** Closes the store, letting fake time run meanwhile (the local store may save on a timer). */
    async close() {
      let done = false
      const closing = store.replica.close().finally(() => (done = true))
      await advanceUntil(() => done)
      await closing
    },
    api,
    replica,
    store,
    onlineManager,
    focusManager,
    events,
    statusOf,
    /** Actions dispatched so far (store notifications). */
    actionCount: () => notifications,
    requestsFor: (collection: string) => api.requests.filter((r) => r.collection === collection).length,
    eventsOf: <T extends ReplicaEvent['type']>(type: T) => events.filter((e): e is Extract<ReplicaEvent, { type: T }> => e.type === type),
  }
}

/** `count` rows of a collection, ids 1..count. */
export const rows = (count: number, fields: (id: number) => Record<string, string | number> = (id) => ({ body: `row ${id}` })) =>
  Array.from({ length: count }, (_, i) => ({ id: i + 1, ...fields(i + 1) }))
