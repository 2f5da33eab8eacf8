import { describe, expect, it, vi } from 'vitest'
import { status } from '../fixtures/protocolServer'
import { advance, advanceUntil, liveReplica, rows, useMockServerAndFakeClock } from './harness'

const server = useMockServerAndFakeClock()

const notes = { collection: 'note', filter: {} }

describe('retries', () => {
  it('a server failing 3 times then succeeding: synced with every row; the waits grew, with jitter, under the cap', async () => {
    const jitter = [0.3, 0.6, 0.9]
    const h = liveReplica(server, {
      tables: { note: rows(600), contact: [] },
      pageSize: 250,
      retry: { baseDelay: 1_000, maxDelay: 3_000, random: () => jitter.shift() ?? 0.5 },
    })
    h.api.failNext(status(500), status(502), status(503))
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')

    expect(h.replica.selectors.note.selectTotal(h.store.getState())).toBe(600)
    expect(h.statusOf(notes)).toMatchObject({ status: 'synced', received: 600, remaining: 0 })
    const retries = h.eventsOf('retryScheduled')
    expect(retries.map((r) => r.ceiling)).toEqual([1_000, 2_000, 3_000]) // doubling, then the cap
    expect(retries.map((r) => r.delay)).toEqual([300, 1_200, 2_700]) // a uniform draw under each ceiling
    // The server saw the waits: each retry came `delay` after the failure before it.
    const at = h.api.requests.map((r) => r.at)
    expect([at[1]! - at[0]!, at[2]! - at[1]!, at[3]! - at[2]!]).toEqual([300, 1_200, 2_700])
    expect(h.api.requests).toHaveLength(4 + 2) // 3 failures, then 3 pages of 250
    await h.close()
  })

  it('a 500 that does not go away: an error status once retries are exhausted, then no request until the next poll', async () => {
    const h = liveReplica(server, { retry: { retries: 2, random: () => 0.5 }, pollingInterval: 60_000 })
    h.api.setOutage(status(500))
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'error')

    expect(h.api.requests).toHaveLength(3) // the request and 2 retries
    expect(h.statusOf(notes).error).toMatchObject({ name: 'ReplicaError', code: 'internal', message: expect.stringMatching(/^500: /) })
    expect(h.eventsOf('failed')).toEqual([expect.objectContaining({ stopped: false })])
    await advance(59_000)
    expect(h.api.requests).toHaveLength(3)
    // The next poll tries again; the server has recovered.
    h.api.setOutage(undefined)
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    expect(h.api.requests).toHaveLength(4)
    await h.close()
  })

  it('429 with Retry-After: 2: the next request is not sooner than 2 s', async () => {
    const h = liveReplica(server, { retry: { random: () => 0 } }) // backoff alone would retry at once
    h.api.failNext(status(429, { 'retry-after': '2' }))
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')

    const [first, second] = h.api.requests
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2_000)
    expect(h.eventsOf('retryScheduled')).toEqual([expect.objectContaining({ delay: 2_000, retryAfter: true })])
    await h.close()
  })

  it('503 with Retry-After as an HTTP date: waits until that date', async () => {
    const h = liveReplica(server, { retry: { random: () => 0 } })
    h.api.failNext(() => new Response(null, { status: 503, headers: { 'retry-after': new Date(Date.now() + 5_000).toUTCString() } }))
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    const [first, second] = h.api.requests
    // HTTP dates have whole seconds, so the wait is within a second of 5 s.
    expect(second!.at - first!.at).toBeGreaterThan(4_000)
    await h.close()
  })

  it('401 with a refreshing hook: the retry carries the new token; a second 401 gives an error status', async () => {
    let token = 'stale'
    const onUnauthorized = vi.fn(async () => {
      token = 'fresh'
    })
    const h = liveReplica(server, { headers: () => ({ authorization: `Bearer ${token}` }), onUnauthorized })
    h.api.failNext(status(401))
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    expect(h.api.requests.map((r) => r.authorization)).toEqual(['Bearer stale', 'Bearer fresh'])
    expect(onUnauthorized).toHaveBeenCalledTimes(1)

    // A token the refresh cannot fix: 401, refresh, 401 again: error, and no third request.
    const contacts = { collection: 'contact', filter: {} }
    h.api.failNext(status(401), status(401))
    h.store.dispatch(h.replica.actions.subscribe(contacts))
    await advanceUntil(() => h.statusOf(contacts).status === 'error')
    expect(h.statusOf(contacts).error?.message).toMatch(/^401: /)
    expect(onUnauthorized).toHaveBeenCalledTimes(2)
    await advance(120_000)
    expect(h.requestsFor('contact')).toBe(2)
    await h.close()
  })

  it('401 without a hook: an error status at once', async () => {
    const h = liveReplica(server)
    h.api.failNext(status(401))
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'error')
    expect(h.api.requests).toHaveLength(1)
    await h.close()
  })

  it('400: an error status with the server\'s message, no retry, and the other subscriptions go on syncing', async () => {
    const h = liveReplica(server, { tables: { note: rows(3), contact: rows(2) }, pollingInterval: 10_000 })
    h.api.setOutage((request) => (request.collection === 'note' ? status(400)(request) : undefined))
    const contacts = { collection: 'contact', filter: {} }
    h.store.dispatch(h.replica.actions.subscribe(notes))
    h.store.dispatch(h.replica.actions.subscribe(contacts))
    await advanceUntil(() => h.statusOf(notes).status === 'error' && h.statusOf(contacts).status === 'synced')
    expect(h.statusOf(notes).error).toMatchObject({ code: 'bad_request', message: '400: status 400 from the test server' })
    expect(h.eventsOf('failed')).toEqual([expect.objectContaining({ key: 'note:{}', stopped: true })])

    h.api.upsert('contact', { id: 3, body: 'new' })
    await advance(60_000)
    expect(h.requestsFor('note')).toBe(1)
    expect(h.requestsFor('contact')).toBe(1 + 6) // caught up, then a poll every 10 s
    expect(h.replica.selectors.contact.selectTotal(h.store.getState())).toBe(3)
    await h.close()
  })

  it('a malformed page: retried with backoff, then an error status naming the problem', async () => {
    const h = liveReplica(server, { retry: { retries: 2, random: () => 0.5 } })
    h.api.setOutage(() => new Response('<html>proxy login</html>', { status: 200 }))
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'error')
    expect(h.api.requests).toHaveLength(3)
    expect(h.statusOf(notes).error).toMatchObject({ code: 'malformed_page', message: expect.stringMatching(/not JSON/) })
    await h.close()
  })

  it('a request that hangs: aborted after `timeout`, retried, then synced', async () => {
    const signals: AbortSignal[] = []
    const h = liveReplica(server, {
      timeout: 5_000,
      retry: { random: () => 0 },
      fetch: (input, init) => {
        signals.push(init!.signal!)
        return fetch(input, init)
      },
    })
    h.api.failNext(() => new Promise(() => {})) // never answers
    h.store.dispatch(h.replica.actions.subscribe(notes))
    const took = await advanceUntil(() => h.statusOf(notes).status === 'synced')
    expect(took).toBeGreaterThanOrEqual(5_000)
    expect(signals[0]!.aborted).toBe(true)
    expect(h.eventsOf('retryScheduled')[0]!.error).toMatchObject({ code: 'timeout' })
    await h.close()
  })
})
