import { describe, expect, it } from 'vitest'
import { networkDown } from '../fixtures/protocolServer'
import { advance, advanceUntil, liveReplica, rows, useMockServerAndFakeClock } from './harness'

const server = useMockServerAndFakeClock()

const notes = { collection: 'note', filter: {} }
const contacts = { collection: 'contact', filter: {} }
const MINUTE = 60_000

describe('offline', () => {
  it('network down for 10 minutes: status offline and a bounded number of requests; back online: one pull at once, then synced', async () => {
    // Jitter pinned near its top, so the probes come as often as the policy allows: the worst case.
    const h = liveReplica(server, { tables: { note: rows(5), contact: rows(3) }, retry: { maxDelay: 30_000, random: () => 0.999 } })
    h.api.setOutage(networkDown)
    h.store.dispatch(h.replica.actions.subscribe(notes))
    h.store.dispatch(h.replica.actions.subscribe(contacts))
    await advance(10 * MINUTE)

    expect(h.statusOf(notes).status).toBe('offline')
    expect(h.statusOf(contacts).status).toBe('offline')
    expect(h.replica.selectors.selectSyncState(h.store.getState()).status).toBe('offline')
    expect(h.onlineManager.isOnline()).toBe(false) // learnt from the failed requests alone
    // Two first requests, then ONE probe per backoff step for both subscriptions together:
    // 1 + 2 + 4 + 8 + 16 s, then one every 30 s: 5 + 18 probes in 10 minutes.
    expect(h.api.requests.length).toBeLessThanOrEqual(2 + 5 + 19)
    expect(h.api.requests.length).toBeGreaterThanOrEqual(2 + 5 + 17)
    expect(h.eventsOf('retryScheduled')).toHaveLength(0) // being offline is not a failure

    h.api.setOutage(undefined)
    const before = h.api.requests.length
    h.onlineManager.setOnline(true) // the browser's 'online' event
    await advance(0)
    await advanceUntil(() => h.statusOf(notes).status === 'synced' && h.statusOf(contacts).status === 'synced', 1_000)
    expect(h.api.requests.length - before).toBe(2) // one pull each, at once
    expect(h.replica.selectors.note.selectTotal(h.store.getState())).toBe(5)
    await advance(10_000)
    expect(h.api.requests.length - before).toBe(2) // and nothing more until the next poll
    await h.close()
  })

  it('a probe that gets through brings everyone back, without waiting for an online event', async () => {
    const h = liveReplica(server, { tables: { note: rows(2), contact: rows(2) }, retry: { random: () => 0.5 } })
    h.api.setOutage(networkDown)
    h.store.dispatch(h.replica.actions.subscribe(notes))
    h.store.dispatch(h.replica.actions.subscribe(contacts))
    await advance(MINUTE)
    expect(h.statusOf(notes).status).toBe('offline')

    h.api.setOutage(undefined) // navigator.onLine never changed: only a request can tell
    await advanceUntil(() => h.statusOf(notes).status === 'synced' && h.statusOf(contacts).status === 'synced', 30_000)
    expect(h.onlineManager.isOnline()).toBe(true)
    expect(h.eventsOf('probe').length).toBeGreaterThan(0)
    await h.close()
  })

  it('offline by the platform\'s word before subscribing: the subscription waits without a request until a probe', async () => {
    const h = liveReplica(server, { tables: { note: rows(2), contact: [] }, retry: { baseDelay: 1_000, random: () => 0.999 } })
    h.onlineManager.setOnline(false)
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advance(0)
    expect(h.statusOf(notes).status).toBe('offline')
    expect(h.api.requests).toHaveLength(0)
    // The platform may be wrong: the first probe (within baseDelay) finds the server.
    await advanceUntil(() => h.statusOf(notes).status === 'synced', 1_000)
    expect(h.api.requests).toHaveLength(1)
    await h.close()
  })

  it('a focus event while offline probes at once', async () => {
    const h = liveReplica(server, { tables: { note: rows(2), contact: [] }, retry: { random: () => 0.999 } })
    h.api.setOutage(networkDown)
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advance(5 * MINUTE)
    h.api.setOutage(undefined)
    const before = h.api.requests.length
    h.focusManager.setFocused(false)
    h.focusManager.setFocused(true)
    await advanceUntil(() => h.statusOf(notes).status === 'synced', 100)
    expect(h.api.requests.length - before).toBe(1)
    await h.close()
  })
})
