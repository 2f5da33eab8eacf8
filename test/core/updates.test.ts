import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { collection, createReplica, seedTransport } from '../../src'
import type { Transport } from '../../src'
import type { PullRequest, PullResult } from '../../src/protocol'
import { exampleData, timestamp } from '../fixtures/exampleData'
import type { Note } from '../fixtures/exampleData'
import { seedEndpoint } from '../fixtures/seedServer'
import { makeStore, waitFor } from '../fixtures/store'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const notes = { collection: 'notes', filter: { project_id: 1 } }

describe('updates of rows already held', () => {
  it('a server-side update arrives and replaces the held row', async () => {
    const data = exampleData({ contacts: 10, notes: 700 })
    const endpoint = seedEndpoint({ origin: 'http://upd.test', tables: data as unknown as Record<string, never[]>, variant: 'example' })
    server.use(endpoint.handler)
    const replica = createReplica({ collections: { notes: collection<Note>() }, transport: seedTransport({ url: endpoint.url }) })
    const store = makeStore(replica)
    const synced = (s: ReturnType<typeof store.getState>) => replica.selectors.selectSubscription(s, notes).status === 'synced'

    store.dispatch(replica.actions.subscribe(notes))
    await waitFor(store, synced)
    const before = store.getState()
    const edited = data.notes[41] as Note
    Object.assign(edited, { body: 'edited on the server', updated_at: timestamp(9_000_000) })

    // Pull again (live polling is the resilience layer's; here a fresh subscription pulls once).
    store.dispatch(replica.actions.unsubscribe(notes))
    store.dispatch(replica.actions.subscribe(notes))
    const after = await waitFor(store, (s) => synced(s) && s !== before && replica.selectors.notes.selectById(s, 42)?.body === 'edited on the server')
    expect(replica.selectors.notes.selectById(after, 42)).toEqual(edited)
    expect(replica.selectors.notes.selectTotal(after)).toBe(700)
    await store.replica.close()
  })

  it('an older version arriving late does not overwrite a newer one', async () => {
    const newer = { id: 1, project_id: 1, body: 'newer', _version: 7 }
    const older = { id: 1, project_id: 1, body: 'older', _version: 3 }
    // Two overlapping subscriptions; the unfiltered one's stream is behind and still carries version 3.
    const pages: Record<string, PullResult> = {
      '{"project_id":1}': { changes: [{ key: 1, version: 7, deleted: false, row: newer }], checkpoint: 'a', hasMore: false },
      '{}': { changes: [{ key: 1, version: 3, deleted: false, row: older }], checkpoint: 'b', hasMore: false },
    }
    const transport: Transport = { pull: async (request: PullRequest) => pages[JSON.stringify(request.filter)] as PullResult }
    const replica = createReplica({ collections: { notes: collection<Note>() }, transport })
    const store = makeStore(replica)
    store.dispatch(replica.actions.subscribe(notes))
    await waitFor(store, (s) => replica.selectors.selectSubscription(s, notes).status === 'synced')
    store.dispatch(replica.actions.subscribe({ collection: 'notes' }))
    const state = await waitFor(store, (s) => replica.selectors.selectSubscription(s, { collection: 'notes' }).status === 'synced')
    expect(replica.selectors.notes.selectById(state, 1)).toEqual(newer)
    expect(replica.selectors.selectSubscription(state, { collection: 'notes' }).received).toBe(1)
    await store.replica.close()
  })
})
