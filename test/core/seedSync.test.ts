import { http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { collection, createReplica, memoryPersistence, seedTransport } from '../../src'
import type { SeedScope } from '../../src/protocol'
import { openLocalStore } from '../../src/store/localStore'
import { exampleData } from '../fixtures/exampleData'
import type { Contact, Note, Project } from '../fixtures/exampleData'
import { seedEndpoint } from '../fixtures/seedServer'
import { makeStore, waitFor } from '../fixtures/store'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const byId = <T extends { id: number }>(rows: T[]) => [...rows].sort((a, b) => a.id - b.id)

describe.each(['blog', 'example'] as const)('the 2015 endpoint, %s variant', (variant) => {
  it('replicates the project\'s notes and contacts exactly, into Loki and into Redux', async () => {
    const data = exampleData()
    const scopes: SeedScope[] = []
    const endpoint = seedEndpoint({
      origin: 'http://seed.test',
      tables: data as unknown as Record<string, never[]>,
      variant,
      onRequest: (scope) => scopes.push(scope),
    })
    server.use(endpoint.handler)
    const persistence = memoryPersistence()
    const replica = createReplica({
      collections: { notes: collection<Note>(), contacts: collection<Contact>(), projects: collection<Project>() },
      transport: seedTransport({ url: endpoint.url }),
      persistence,
    })
    const store = makeStore(replica)
    const notes = { collection: 'notes', filter: { project_id: 1 } }
    const contacts = { collection: 'contacts', filter: { project_id: 1 } }
    store.dispatch(replica.actions.subscribe(notes))
    store.dispatch(replica.actions.subscribe(contacts))
    const state = await waitFor(store, (s) =>
      replica.selectors.selectSubscription(s, notes).status === 'synced' &&
      replica.selectors.selectSubscription(s, contacts).status === 'synced')

    expect(byId(replica.selectors.notes.selectAll(state))).toEqual(data.notes)
    expect(byId(replica.selectors.contacts.selectAll(state))).toEqual(data.contacts)
    expect(replica.selectors.projects.selectTotal(state)).toBe(0)
    expect(replica.selectors.selectSubscription(state, notes)).toMatchObject({ status: 'synced', received: 10_000 })
    // The cursor is echoed verbatim, microseconds and all, and the scope names the collection as the variant does.
    const echoed = scopes.filter((s) => (s.collection ?? s.collectionName) === 'notes' && s.lastUpdatedCursor)
    expect(echoed[0]?.lastUpdatedCursor).toMatch(/\.\d{6}Z$/)
    expect(Object.keys(scopes[0] ?? {})).toContain(variant === 'blog' ? 'collection' : 'collectionName')
    // The pages: 10,000 notes at 250 (or 1,000) a page, plus the empty page that ends the loop.
    const pageSize = variant === 'blog' ? 250 : 1000
    expect(scopes.filter((s) => (s.collection ?? s.collectionName) === 'notes')).toHaveLength(10_000 / pageSize + 1)

    await store.replica.close()
    const local = await openLocalStore({ persistence, collections: { notes: { primaryKey: 'id' }, contacts: { primaryKey: 'id' }, projects: { primaryKey: 'id' } } })
    expect(byId(local.readAll('notes') as unknown as Note[])).toEqual(data.notes)
    expect(byId(local.readAll('contacts') as unknown as Contact[])).toEqual(data.contacts)
    // No Loki bookkeeping in what Loki hands out.
    expect(Object.keys(local.readAll('notes')[0] ?? {}).sort()).toEqual(['body', 'contact_id', 'id', 'project_id', 'updated_at'])
    await local.close()
  })
})

describe('seedTransport options', () => {
  it('asks a headers function on every request (a token refreshed between pages is used)', async () => {
    const data = exampleData({ contacts: 10, notes: 600 })
    const tokens: Array<string | null> = []
    const endpoint = seedEndpoint({ origin: 'http://headers.test', tables: data as unknown as Record<string, never[]>, variant: 'blog' })
    server.use(http.get(endpoint.url, ({ request }) => {
      tokens.push(request.headers.get('authorization'))
      return undefined
    }), endpoint.handler)
    let token = 0
    const replica = createReplica({
      collections: { notes: collection<Note>() },
      transport: seedTransport({ url: endpoint.url, headers: () => ({ authorization: `Bearer t${++token}` }) }),
    })
    const store = makeStore(replica)
    const notes = { collection: 'notes', filter: { project_id: 1 } }
    store.dispatch(replica.actions.subscribe(notes))
    await waitFor(store, (s) => replica.selectors.selectSubscription(s, notes).status === 'synced')
    expect(tokens).toEqual(['Bearer t1', 'Bearer t2', 'Bearer t3', 'Bearer t4'])
    await store.replica.close()
  })
})
