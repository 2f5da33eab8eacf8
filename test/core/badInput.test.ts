import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { collection, createReplica, memoryPersistence, seedTransport } from '../../src'
import type { SeedScope } from '../../src/protocol'
import { openLocalStore } from '../../src/store/localStore'
import { exampleData } from '../fixtures/exampleData'
import type { Note } from '../fixtures/exampleData'
import { seedEndpoint } from '../fixtures/seedServer'
import { makeStore, waitFor } from '../fixtures/store'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const origin = 'http://bad.test'
const notes = { collection: 'notes', filter: { project_id: 1 } }

function setup(persistence = memoryPersistence()) {
  const scopes: SeedScope[] = []
  const data = exampleData({ contacts: 10, notes: 600 })
  const endpoint = seedEndpoint({ origin, tables: data as unknown as Record<string, never[]>, variant: 'blog', onRequest: (scope) => scopes.push(scope) })
  server.use(endpoint.handler)
  const replica = createReplica({
    collections: { notes: collection<Note>() },
    transport: seedTransport({ url: endpoint.url }),
    persistence,
    // These specify what an error looks like; test/sync specifies the retries before it.
    retry: { retries: 0 },
  })
  const store = makeStore(replica)
  return { data, endpoint, replica, store, persistence, scopes, requests: () => scopes.length }
}

describe('bad input on the client', () => {
  it('an unconfigured collection: an error status with a clear message, and no request', async () => {
    const { replica, store, requests } = setup()
    store.dispatch(replica.actions.subscribe({ collection: 'invoices', filter: {} }))
    const status = replica.selectors.selectSubscription(store.getState(), { collection: 'invoices' })
    expect(status.status).toBe('error')
    expect(status.error).toMatchObject({ code: 'unknown_collection', message: expect.stringMatching(/Unknown collection "invoices"/) })
    await store.replica.whenHydrated()
    expect(requests()).toBe(0)
    await store.replica.close()
  })

  it('a filter that is not plain data: an error status, and no request', async () => {
    const { replica, store, requests } = setup()
    const bad = { collection: 'notes', filter: { project_id: { $gt: 1 } } as never }
    store.dispatch(replica.actions.subscribe(bad))
    expect(replica.selectors.selectSubscription(store.getState(), bad)).toMatchObject({
      status: 'error', error: { code: 'bad_filter' }, filter: {},
    })
    expect(requests()).toBe(0)
    await store.replica.close()
  })

  it('a 500: an error status carrying the status line', async () => {
    const { replica, store, endpoint } = setup()
    server.use(http.get(endpoint.url, () => new HttpResponse('boom', { status: 500 })))
    store.dispatch(replica.actions.subscribe(notes))
    const state = await waitFor(store, (s) => replica.selectors.selectSubscription(s, notes).status === 'error')
    expect(replica.selectors.selectSubscription(state, notes).error?.message).toMatch(/500/)
    await store.replica.close()
  })

  const malformed: Array<[string, () => Response]> = [
    ['a body that is not JSON', () => new HttpResponse('<html>oops</html>', { headers: { 'content-type': 'text/html' } })],
    ['JSON that is not an array', () => HttpResponse.json({ rows: 'nope' })],
    ['a row without a primary key', () => HttpResponse.json([{ project_id: 1, updated_at: '2015-03-19T20:14:26.000000Z' }])],
    ['a row that is not an object', () => HttpResponse.json([42])],
    ['a primary key of the wrong type', () => HttpResponse.json([{ id: { nested: true }, updated_at: '2015-03-19T20:14:26.000000Z' }])],
    ['an updated_at of the wrong type', () => HttpResponse.json([{ id: 9999, project_id: 1, updated_at: 12 }])],
    ['a valid row followed by a bad one', () => HttpResponse.json([{ id: 9998, project_id: 1, updated_at: '2015-03-19T20:14:26.000000Z' }, { id: null }])],
  ]

  it.each(malformed)('%s: an error status; nothing from the page is written, the cursor stays, and the sync resumes', async (_, answer) => {
    const { replica, store, endpoint, persistence, data } = setup()
    // The first page is good; every later one is malformed.
    let served = 0
    server.use(http.get(endpoint.url, () => (served++ === 0 ? undefined : answer())))
    store.dispatch(replica.actions.subscribe(notes))
    let state = await waitFor(store, (s) => replica.selectors.selectSubscription(s, notes).status === 'error')
    expect(replica.selectors.selectSubscription(state, notes).error).toMatchObject({ code: 'malformed_page', message: expect.stringMatching(/^Malformed page: /) })
    expect(replica.selectors.notes.selectTotal(state)).toBe(250)
    await store.replica.close()
    const local = await openLocalStore({ persistence, collections: { notes: { primaryKey: 'id' } } })
    expect(local.readAll('notes')).toHaveLength(250)
    const checkpoint = local.subscriptions()[0]?.checkpoint as { lastUpdatedCursor: string }
    expect(checkpoint.lastUpdatedCursor).toBe(data.notes[249]?.updated_at)
    await local.close()

    // A fresh start on the same database, against a mended server, picks up after the stored cursor.
    server.resetHandlers()
    const again = setup(persistence)
    again.store.dispatch(again.replica.actions.subscribe(notes))
    state = await waitFor(again.store, (s) => again.replica.selectors.selectSubscription(s, notes).status === 'synced')
    expect(again.replica.selectors.notes.selectTotal(state)).toBe(600)
    expect(again.scopes[0]).toMatchObject({ lastIdCursor: 250, lastUpdatedCursor: data.notes[249]?.updated_at })
    await again.store.replica.close()
  })
})
