import { HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { recordingPersistence } from '../fixtures/recordingPersistence'
import { advance, advanceUntil, liveReplica, rows, useMockServerAndFakeClock } from './harness'

const server = useMockServerAndFakeClock()

const notes = { collection: 'note', filter: {} }

describe('robustness of the live loop', () => {
  it('an idle poll writes nothing and dispatches nothing', async () => {
    const recorded = recordingPersistence()
    const h = liveReplica(server, { tables: { note: rows(3), contact: [] }, pollingInterval: 1_000, saveInterval: 10, persistence: recorded.persistence })
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    await advance(100)
    const saves = recorded.snapshots.length
    const actions = h.actionCount()
    const requests = h.api.requests.length
    await advance(10_500)
    expect(h.api.requests.length - requests).toBe(10) // ten polls...
    expect(recorded.snapshots.length).toBe(saves) // ...and not one save
    expect(h.actionCount() - actions).toBe(10) // one syncSucceeded each (lastSyncedAt), no pageApplied
    expect(h.eventsOf('pageApplied')).toHaveLength(1)
    await h.close()
  })

  it('a live pull reports synced without waiting for the save of its rows, which follows within saveInterval', async () => {
    const recorded = recordingPersistence()
    const h = liveReplica(server, { tables: { note: rows(3), contact: [] }, pollingInterval: 1_000, saveInterval: 500, persistence: recorded.persistence })
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    const firstSyncSaved = recorded.snapshots.length
    expect(firstSyncSaved).toBeGreaterThan(0) // the first catch-up is on disk before 'synced'
    recorded.setSaveMs(5_000) // a slow disk
    h.api.upsert('note', { id: 4, body: 'live' })
    const synced = h.eventsOf('synced').length
    await advanceUntil(() => h.eventsOf('synced').length > synced && h.replica.selectors.note.selectTotal(h.store.getState()) === 4, 2_000)
    expect(recorded.snapshots.length).toBe(firstSyncSaved) // reported before the slow save ended
    await advanceUntil(() => recorded.snapshots.length > firstSyncSaved, 10_000)
    await h.close()
  })

  it('a failed save does not stop the sync: rows keep arriving, and the storage recovers', async () => {
    const recorded = recordingPersistence()
    const h = liveReplica(server, { tables: { note: rows(3), contact: [] }, pollingInterval: 1_000, saveInterval: 10, persistence: recorded.persistence })
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    recorded.failNextSaves(1)
    h.api.upsert('note', { id: 4, body: 'after the disk filled up' })
    await advanceUntil(() => h.replica.selectors.note.selectTotal(h.store.getState()) === 4, 5_000)
    h.api.upsert('note', { id: 5, body: 'and later' })
    await advanceUntil(() => h.replica.selectors.note.selectTotal(h.store.getState()) === 5, 5_000)
    expect(h.statusOf(notes).status).toBe('synced')
    await advanceUntil(() => h.replica.selectors.selectStorage(h.store.getState()).status === 'ok', 5_000)
    await h.close()
  })

  it('a lossy network that flips online and offline with every request causes no request storm', async () => {
    const scopes = Array.from({ length: 10 }, (_, i) => ({ collection: 'note', filter: { project_id: i } }))
    const h = liveReplica(server, { tables: { note: rows(20, (id) => ({ project_id: id % 10 })), contact: [] }, pollingInterval: 30_000 })
    for (const scope of scopes) h.store.dispatch(h.replica.actions.subscribe(scope))
    await advanceUntil(() => scopes.every((scope) => h.statusOf(scope).status === 'synced'))
    const before = h.api.requests.length
    // Ten seconds of flapping: every 100 ms a request elsewhere fails and another succeeds.
    for (let i = 0; i < 100; i++) {
      h.onlineManager.setOnline(false)
      await advance(50)
      h.onlineManager.setOnline(true)
      await advance(50)
    }
    expect(h.api.requests.length - before).toBe(0) // polls are 30 s apart; a flip is not a reconnect
    await h.close()
  })

  it('a real outage ends with one pull per subscription at reconnect', async () => {
    const h = liveReplica(server, { tables: { note: rows(2), contact: [] }, pollingInterval: 60_000 })
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    const before = h.api.requests.length
    h.onlineManager.setOnline(false)
    await advance(5_000)
    h.onlineManager.setOnline(true)
    await advance(100)
    expect(h.api.requests.length - before).toBe(1)
    await h.close()
  })

  it('a focus event during a pull in flight is not lost: another pull follows', async () => {
    const h = liveReplica(server, { tables: { note: rows(2), contact: [] }, pollingInterval: 0 })
    let release = () => {}
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    // The next request hangs until released; meanwhile the server changes and the user comes back.
    h.api.failNext(() => new Promise<undefined>((resolve) => (release = () => resolve(undefined))))
    h.focusManager.setFocused(false)
    h.focusManager.setFocused(true)
    await advance(10)
    h.api.upsert('note', { id: 3, body: 'written while the first request was in flight' })
    h.focusManager.setFocused(false)
    h.focusManager.setFocused(true)
    release()
    await advanceUntil(() => h.replica.selectors.note.selectTotal(h.store.getState()) === 3, 1_000)
    await h.close()
  })

  it('a subscription stopped by a 4xx starts again when a new subscriber arrives', async () => {
    const h = liveReplica(server, { tables: { note: rows(2), contact: [] } })
    h.api.failNext(() => HttpResponse.json({ error: { code: 'forbidden', message: 'not now' } }, { status: 403 }))
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'error')
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advanceUntil(() => h.statusOf(notes).status === 'synced')
    expect(h.replica.selectors.note.selectTotal(h.store.getState())).toBe(2)
    await h.close()
  })

  it('after close(): a subscribe sends nothing and dispatches nothing; close() and flush() resolve', async () => {
    const h = liveReplica(server, { tables: { note: rows(2), contact: [] } })
    await h.store.replica.whenHydrated()
    await h.close()
    const [requests, actions] = [h.api.requests.length, h.actionCount()]
    h.store.dispatch(h.replica.actions.subscribe(notes))
    await advance(60_000)
    expect(h.api.requests.length).toBe(requests)
    expect(h.actionCount()).toBe(actions + 1) // the subscribe action itself, nothing after it
    await expect(h.store.replica.close()).resolves.toBeUndefined()
    await expect(h.store.replica.flush()).resolves.toBeUndefined()
  })

  it('an inherited property name is not a collection: error status, no request', async () => {
    const h = liveReplica(server)
    for (const name of ['constructor', 'toString', '__proto__']) {
      h.store.dispatch(h.replica.actions.subscribe({ collection: name, filter: {} }))
      expect(h.statusOf({ collection: name, filter: {} })).toMatchObject({ status: 'error', error: { code: 'unknown_collection' } })
    }
    await advance(1_000)
    expect(h.api.requests).toHaveLength(0)
    await h.close()
  })
})

describe('overlapping subscriptions, one of them unsubscribed', () => {
  it('a delete reaches the running view, and the other scope is whole when it comes back', async () => {
    const h = liveReplica(server, { tables: { note: rows(6, (id) => ({ project_id: id % 2 })), contact: [] }, pollingInterval: 1_000 })
    const odd = { collection: 'note', filter: { project_id: 1 } }
    const all = { collection: 'note', filter: {} }
    h.store.dispatch(h.replica.actions.subscribe(odd))
    h.store.dispatch(h.replica.actions.subscribe(all))
    await advanceUntil(() => h.statusOf(odd).status === 'synced' && h.statusOf(all).status === 'synced')
    h.store.dispatch(h.replica.actions.unsubscribe(odd))
    h.api.remove('note', 3)
    h.api.upsert('note', { id: 5, project_id: 1, body: 'changed while project 1 was not watched' })
    await advanceUntil(() => h.replica.selectors.note.selectById(h.store.getState(), 3) === undefined, 5_000)
    expect(h.replica.selectors.note.selectTotal(h.store.getState())).toBe(5)

    h.store.dispatch(h.replica.actions.subscribe(odd))
    await advanceUntil(() => h.statusOf(odd).status === 'synced')
    await advance(100)
    expect(h.replica.selectors.note.selectWhere(h.store.getState(), { project_id: 1 }).map((row) => row.id).sort()).toEqual([1, 5])
    expect(h.replica.selectors.note.selectById(h.store.getState(), 5)).toMatchObject({ body: 'changed while project 1 was not watched' })
    await h.close()
  })
})
