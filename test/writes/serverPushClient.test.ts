import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFocusManager, createOnlineManager, createReplica, httpPushTransport, httpTransport, memoryPersistence } from '../../src'
import { makeStore, waitFor } from '../fixtures/store'
import { serve } from '../server/helpers'
import { todoServer } from './serverFixture'

// The client against the server's refusals, over real HTTP: a push the server refuses as a whole
// (here 403, a page of another origin) ends with the writes rejected, after a bounded number of
// requests; the queue never loops on it.
let backend: ReturnType<typeof todoServer>
let http: Awaited<ReturnType<typeof serve>>
/** Pushes `authorize` was asked about: a refused origin never gets that far. */
let authorized = 0
beforeAll(async () => {
  backend = todoServer({
    allowedOrigins: ['https://app.example.com'],
    authorize: (req) => {
      if (req.url.pathname.endsWith('/push')) authorized++
      return {}
    },
  })
  await backend.handler.ready()
  http = await serve(backend.handler)
})
afterAll(async () => {
  await http?.close()
  backend?.db.close()
})

function client(origin: string) {
  const url = `${http.base}/replica`
  let requests = 0
  const counting: typeof fetch = (input, init) => (String(input).endsWith('/push') && requests++, fetch(input, init))
  const replica = createReplica({
    collections: { todo: {} },
    transport: httpTransport({ url, headers: { origin } }),
    push: httpPushTransport({ url, headers: { origin }, fetch: counting }),
    persistence: memoryPersistence(),
    onlineManager: createOnlineManager({ setEventListener: () => undefined, initiallyOnline: true }),
    focusManager: createFocusManager({ setEventListener: () => undefined }),
    pollingInterval: 0,
  })
  const store = makeStore(replica)
  return { replica, store, requests: () => requests }
}

describe('the client and a push refused as a whole', () => {
  it('403 from an origin the server does not allow: each write is rejected once, no endless resend', async () => {
    const c = client('https://evil.example')
    await c.store.replica.whenHydrated()
    for (const id of ['e1', 'e2', 'e3']) c.store.dispatch(c.replica.actions.save({ collection: 'todo', row: { id, list_id: 1, title: id } }))
    await waitFor(c.store, (s) => c.replica.selectors.selectRejectedWrites(s).length === 3, 10_000)
    expect(c.replica.selectors.selectRejectedWrites(c.store.getState()).map((r) => r.error.code)).toEqual(['forbidden', 'forbidden', 'forbidden'])
    expect(c.replica.selectors.selectPendingWrites(c.store.getState())).toBe(0)
    // One batch, then one request per write to find which: 4, and no more after a pause.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(c.requests()).toBe(4)
    expect(backend.row('e1')).toBeUndefined()
    expect(authorized).toBe(0)
    await c.store.replica.close()
  })

  it('from an allowed origin the same writes are applied', async () => {
    const c = client('https://app.example.com')
    await c.store.replica.whenHydrated()
    c.store.dispatch(c.replica.actions.save({ collection: 'todo', row: { id: 'ok1', list_id: 1, title: 'fine' } }))
    await waitFor(c.store, (s) => c.replica.selectors.selectPendingWrites(s) === 0, 10_000)
    expect(backend.row('ok1')).toMatchObject({ title: 'fine' })
    expect(authorized).toBeGreaterThan(0)
    await c.store.replica.close()
  })
})
