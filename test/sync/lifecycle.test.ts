import { describe, expect, it } from 'vitest'
import type { SubscriptionStatus } from '../../src'
import { advance, advanceUntil, liveReplica, rows, useMockServerAndFakeClock } from './harness'

const server = useMockServerAndFakeClock()

const notes = { collection: 'note', filter: {} }
const contacts = { collection: 'contact', filter: {} }

/** A responder that answers (from the table) only after `ms` of fake time. */
const slow = (ms: number) => () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))

describe('staying live', () => {
  it('a row changed on the server reaches Redux within one polling interval, and the status stays synced while polling', async () => {
    const h = liveReplica(server, { tables: { note: rows(3), contact: [] }, pollingInterval: 5_000 })
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    const statuses: SubscriptionStatus[] = []
    h.store.subscribe(() => statuses.push(h.statusOf(notes).status))

    h.api.upsert('note', { id: 2, body: 'edited on the server' })
    await advance(5_000)
    expect(h.replica.selectors.note.selectById(h.store.getState(), 2)).toMatchObject({ body: 'edited on the server' })
    await advance(20_000) // four more polls, nothing new
    expect(h.requestsFor('note')).toBe(1 + 5)
    expect(new Set(statuses)).toEqual(new Set(['synced']))
    await h.close()
  })

  it('a poll that brings more than a page shows syncing while it runs, then synced', async () => {
    const h = liveReplica(server, { tables: { note: rows(1), contact: [] }, pageSize: 2, pollingInterval: 5_000 })
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    const statuses: SubscriptionStatus[] = []
    h.store.subscribe(() => statuses.push(h.statusOf(notes).status))
    for (let id = 10; id < 15; id++) h.api.upsert('note', { id, body: 'new' })
    await advance(5_000)
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    expect(statuses).toContain('syncing')
    expect(statuses.at(-1)).toBe('synced')
    expect(h.replica.selectors.note.selectTotal(h.store.getState())).toBe(6)
    await h.close()
  })

  it('a subscriber may ask for its own polling interval; the shortest of a scope\'s subscribers wins', async () => {
    const h = liveReplica(server, { pollingInterval: 60_000 })
    h.store.dispatch(h.replica.actions.subscribe(notes))
    h.store.dispatch(h.replica.actions.subscribe({ ...notes, pollingInterval: 1_000 }))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    await advance(10_000)
    expect(h.requestsFor('note')).toBe(1 + 10)
    // The fast subscriber leaves: back to the default.
    h.store.dispatch(h.replica.actions.unsubscribe({ ...notes, pollingInterval: 1_000 }))
    await advance(1_000) // the wait under way ends on its old schedule
    const after = h.requestsFor('note')
    await advance(59_000)
    expect(h.requestsFor('note')).toBe(after)
    await advance(1_000)
    expect(h.requestsFor('note')).toBe(after + 1)
    await h.close()
  })

  // Each subscribe action carries meta.subscriberId; the unsubscribe naming it releases that
  // subscriber's registration, even when it passes other options than it subscribed with.
  for (const leavesFirst of ['fast', 'slow'] as const) {
    it(`two subscribers with their own polling intervals: the ${leavesFirst} one unsubscribing by id releases its own interval`, async () => {
      const h = liveReplica(server, { pollingInterval: 60_000 })
      const fast = h.store.dispatch(h.replica.actions.subscribe({ ...notes, pollingInterval: 1_000 }))
      const slowSub = h.store.dispatch(h.replica.actions.subscribe({ ...notes, pollingInterval: 30_000 }))
      expect(fast.meta.subscriberId).not.toBe(slowSub.meta.subscriberId)
      await advanceUntil(() => h.statusOf(notes).status === 'synced')
      await advance(5_000)
      expect(h.requestsFor('note')).toBe(1 + 5)
      // Options that match neither registration: only the id says whose it is.
      const leaving = leavesFirst === 'fast' ? fast : slowSub
      h.store.dispatch(h.replica.actions.unsubscribe(notes, leaving.meta.subscriberId))
      await advance(1_000) // the wait under way ends on its old schedule
      const after = h.requestsFor('note')
      await advance(29_000)
      if (leavesFirst === 'fast') {
        expect(h.requestsFor('note')).toBe(after) // the slow subscriber's 30 s now
        await advance(1_000)
        expect(h.requestsFor('note')).toBe(after + 1)
      } else {
        expect(h.requestsFor('note')).toBe(after + 29) // the fast subscriber's 1 s still
      }
      const staying = leavesFirst === 'fast' ? slowSub : fast
      h.store.dispatch(h.replica.actions.unsubscribe(notes, staying.meta.subscriberId))
      expect(h.statusOf(notes).status).toBe('idle')
      const stopped = h.requestsFor('note')
      await advance(120_000)
      expect(h.requestsFor('note')).toBe(stopped)
      await h.close()
    })
  }

  it('a focus event triggers a pull at once', async () => {
    const h = liveReplica(server, { tables: { note: rows(2), contact: [] }, pollingInterval: 0 })
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    h.api.upsert('note', { id: 3, body: 'while the tab was hidden' })
    h.focusManager.setFocused(false)
    await advance(10 * 60_000)
    expect(h.requestsFor('note')).toBe(1) // polling is off
    h.focusManager.setFocused(true)
    await advanceUntil(() => h.replica.selectors.note.selectTotal(h.store.getState()) === 3, 100)
    expect(h.requestsFor('note')).toBe(2)
    expect(h.eventsOf('pullStarted').map((e) => e.trigger)).toEqual(['subscribe', 'focus'])
    await h.close()
  })

  it('two subscribers of one scope run one loop, and unsubscribing both stops it', async () => {
    const h = liveReplica(server, { pollingInterval: 5_000 })
    h.store.dispatch(h.replica.actions.subscribe(notes))
    h.store.dispatch(h.replica.actions.subscribe({ collection: 'note' })) // the same scope
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    await advance(20_000)
    expect(h.requestsFor('note')).toBe(1 + 4)

    h.store.dispatch(h.replica.actions.unsubscribe(notes))
    await advance(10_000)
    expect(h.requestsFor('note')).toBe(1 + 6) // one subscriber is left: still live
    h.store.dispatch(h.replica.actions.unsubscribe(notes))
    expect(h.statusOf(notes).status).toBe('idle')
    await advance(60_000)
    expect(h.requestsFor('note')).toBe(1 + 6)
    expect(h.eventsOf('stopped')).toEqual([{ type: 'stopped', key: 'note:{}' }])
    await h.close()
  })
})

describe('stopping', () => {
  it('unsubscribe during a slow page: the request is aborted, no row from it is applied, no later action', async () => {
    const signals: AbortSignal[] = []
    const h = liveReplica(server, {
      tables: { note: rows(4), contact: [] },
      fetch: (input, init) => {
        signals.push(init!.signal!)
        return fetch(input, init)
      },
    })
    h.api.failNext(slow(10_000))
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advance(1_000)
    expect(h.api.requests).toHaveLength(1)
    h.store.dispatch(h.replica.actions.unsubscribe(notes))
    const actionsAtUnsubscribe = h.actionCount()

    expect(signals[0]!.aborted).toBe(true)
    await advance(60_000) // the slow answer would have come, and several polls
    expect(h.replica.selectors.note.selectTotal(h.store.getState())).toBe(0)
    expect(h.actionCount()).toBe(actionsAtUnsubscribe)
    expect(h.api.requests).toHaveLength(1)
    await h.close()
  })

  it('close() aborts every request in flight, and no action follows it', async () => {
    const signals: AbortSignal[] = []
    const h = liveReplica(server, {
      tables: { note: rows(4), contact: rows(4) },
      fetch: (input, init) => {
        signals.push(init!.signal!)
        return fetch(input, init)
      },
    })
    h.api.failNext(slow(10_000), slow(10_000))
    h.store.dispatch(h.replica.actions.subscribe(notes))
    h.store.dispatch(h.replica.actions.subscribe(contacts))
    await advance(1_000)
    const closing = h.close()
    expect(signals.map((s) => s.aborted)).toEqual([true, true])
    await closing
    const actionsAtClose = h.actionCount()
    h.onlineManager.setOnline(false)
    h.onlineManager.setOnline(true)
    h.focusManager.setFocused(false)
    h.focusManager.setFocused(true)
    await advance(120_000)
    expect(h.actionCount()).toBe(actionsAtClose)
    expect(h.api.requests).toHaveLength(2)
  })
})

describe('limits', () => {
  it('no more than maxConcurrentPulls requests at once, across subscriptions', async () => {
    let inFlight = 0
    let most = 0
    const h = liveReplica(server, { maxConcurrentPulls: 2, tables: { note: rows(1), contact: rows(1) } })
    h.api.setOutage(async () => {
      most = Math.max(most, ++inFlight)
      await slow(1_000)()
      inFlight--
      return undefined
    })
    const scopes = [1, 2, 3, 4, 5].map((project) => ({ collection: 'note', filter: { project_id: project } }))
    for (const scope of scopes) h.store.dispatch(h.replica.actions.subscribe(scope))
    await advanceUntil(() => scopes.every((scope) => h.statusOf(scope).status === 'synced'))
    expect(h.api.requests).toHaveLength(5)
    expect(most).toBe(2)
    await h.close()
  })
})
