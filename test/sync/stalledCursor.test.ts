import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { collection, createReplica, httpTransport, memoryPersistence, seedTransport } from '../../src'
import type { Transport } from '../../src'
import type { SeedScope } from '../../src/protocol'
import { exampleData, timestamp } from '../fixtures/exampleData'
import type { Note } from '../fixtures/exampleData'
import { seedEndpoint } from '../fixtures/seedServer'
import { makeStore, waitFor } from '../fixtures/store'

// A server whose cursor does not advance would have the client ask for the same page forever,
// reporting 'syncing' all along. The client stops instead, says why, and keeps what it has.
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const notes = { collection: 'notes', filter: { project_id: 1 } }

/** Subscribes to the notes and waits until the subscription reports an error. */
async function syncUntilError(transport: Transport) {
  const replica = createReplica({ collections: { notes: collection<Note>() }, transport, persistence: memoryPersistence() })
  const store = makeStore(replica)
  store.dispatch(replica.actions.subscribe(notes))
  await waitFor(store, (s) => replica.selectors.selectSubscription(s, notes).status === 'error')
  return { replica, store, state: () => store.getState() }
}

/** Long enough for a request loop to show itself: the client retries transient failures within ~1 s. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500))

describe.each(['blog', 'example'] as const)('a stock Rails 2015 endpoint (time_precision 3), %s variant', (variant) => {
  it('stops with cursor_stalled within a few requests, names the fix, and keeps the rows it received', async () => {
    let requests = 0
    let lastAsked: SeedScope | undefined
    const data = exampleData()
    const endpoint = seedEndpoint({
      origin: 'http://rails.test',
      tables: data as never,
      variant,
      timePrecision: 3,
      onRequest: (scope) => {
        requests++
        lastAsked = scope
      },
    })
    server.use(endpoint.handler)

    const { replica, store, state } = await syncUntilError(seedTransport({ url: endpoint.url }))
    const subscription = replica.selectors.selectSubscription(state(), notes)
    expect(subscription.error).toMatchObject({ code: 'cursor_stalled' })
    expect(subscription.error?.message).toContain('ActiveSupport::JSON::Encoding.time_precision = 6')
    expect(subscription.error?.message).toMatch(/milliseconds/)
    expect(requests).toBeLessThanOrEqual(6)
    // What arrived before the stall is in Redux, as the server sent it: every note up to the
    // last cursor the client asked from (pages overlap, so it received some rows twice).
    const held = replica.selectors.notes.selectAll(state())
    expect(held.length).toBeGreaterThan(0)
    expect(held.map((n) => n.id).sort((a, b) => a - b)).toEqual(Array.from({ length: lastAsked!.lastIdCursor as number }, (_, i) => i + 1))
    expect(held.every((n) => /\.\d{3}Z$/.test(n.updated_at))).toBe(true)

    const asked = requests
    await settle()
    expect(requests).toBe(asked)
    expect(replica.selectors.selectSubscription(state(), notes).status).toBe('error')
    await store.replica.close()
  })

  it('stops when the last row comes back alone, even without rows sharing a millisecond', async () => {
    let requests = 0
    const data = exampleData({ contacts: 3, notes: 3 })
    // One row per millisecond, each with microseconds the JSON drops.
    data.notes.forEach((n, i) => (n.updated_at = timestamp(5_000 + i * 1_000 + 250)))
    const endpoint = seedEndpoint({ origin: 'http://rails-last.test', tables: data as never, variant, timePrecision: 3, onRequest: () => requests++ })
    server.use(endpoint.handler)

    const { replica, store, state } = await syncUntilError(seedTransport({ url: endpoint.url }))
    expect(replica.selectors.selectSubscription(state(), notes).error).toMatchObject({ code: 'cursor_stalled' })
    expect([...replica.selectors.notes.selectIds(state())].sort()).toEqual([1, 2, 3])
    expect(requests).toBe(2)
    await store.replica.close()
  })
})

describe('our protocol over a server whose cursor does not move', () => {
  const rowsFrom = (first: number) =>
    Array.from({ length: 10 }, (_, i) => ({ id: first + i, project_id: 1, body: `note ${first + i}`, _version: first + i }))

  /** Serves `answer` as the pull endpoint; the sync must stop at the second page, holding the first. */
  async function expectStoppedAtSecondPage(answer: (cursor: string | null, request: number) => object) {
    let requests = 0
    server.use(http.get('http://stuck.test/replica/pull', ({ request }) => HttpResponse.json(answer(new URL(request.url).searchParams.get('cursor'), ++requests))))
    const { replica, store, state } = await syncUntilError(httpTransport({ url: 'http://stuck.test/replica', live: false }))
    expect(replica.selectors.selectSubscription(state(), notes).error).toMatchObject({ code: 'cursor_stalled' })
    expect(replica.selectors.notes.selectTotal(state())).toBe(10)
    expect(requests).toBe(2)
    await settle()
    expect(requests).toBe(2)
    await store.replica.close()
  }

  it('stops with cursor_stalled when a page ends at the cursor it was asked from', async () => {
    // The first page moves to "c1"; from there the server answers new rows but the same cursor.
    await expectStoppedAtSecondPage((cursor) =>
      cursor === null ? { rows: rowsFrom(1), cursor: 'c1', hasMore: true } : { rows: rowsFrom(11), cursor, hasMore: true })
  })

  it('stops with cursor_stalled when a page repeats the page before it under a new cursor', async () => {
    await expectStoppedAtSecondPage((_, request) => ({ rows: rowsFrom(1), cursor: `c${request}`, hasMore: true }))
  })
})
