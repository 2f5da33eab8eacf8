import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { memoryPersistence } from '../../src'
import type { Persistence, PushTransport } from '../../src'
import type { Change } from '../../src/protocol'
import { openLocalStore } from '../../src/store/localStore'
import { entityStateFrom } from '../../src/state/entityState'
import { waitFor } from '../fixtures/store'
import { loopbackServer } from '../fixtures/loopbackServer'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { notes, startApp } from './harness'

/** Rows held: enough that building their Redux state takes many slices of the hydration budget. */
const HELD = 30_000
const UNCHECKED = ['replica.collections']

let server: LoopbackServer
beforeEach(async () => {
  server = await loopbackServer({ tables: { note: notes(HELD) } })
})
afterEach(() => server.stop().catch(() => {}))

/** A memory database holding HELD notes, written through the local store as a sync would. */
async function heldDatabase(): Promise<Persistence> {
  const persistence = memoryPersistence()
  const local = await openLocalStore({ persistence, collections: { note: { primaryKey: 'id' } } })
  const changes: Change[] = notes(HELD).map((row) => ({ key: row.id, version: 1, deleted: false, row: { ...row, _version: 1 } }))
  local.applyPage({ subscription: { key: 'note:{}', collection: 'note', filter: {} }, changes, checkpoint: 'c1' })
  await local.close()
  return persistence
}

describe('hydration of a large collection', () => {
  it('yields to the event loop while it builds, and ends with the state one action would build', async () => {
    const persistence = await heldDatabase()
    const app = startApp(server, persistence, 'slices', { unchecked: UNCHECKED })
    // Timers scheduled when hydration starts: each runs only if hydration gave the event loop a turn.
    const seenWhileHydrating: string[] = []
    const tick = () => {
      const status = app.replica.selectors.selectHydration(app.store.getState()).status
      if (status === 'pending') {
        seenWhileHydrating.push(status)
        setTimeout(tick, 0)
      }
    }
    setTimeout(tick, 0)
    await app.store.replica.whenHydrated()

    // Opening and reading give the loop two turns at most; more come from the slices of the build.
    expect(seenWhileHydrating.length).toBeGreaterThan(2)
    const hydrations = app.actions.filter((action) => action.type === 'replica/hydrateCollection')
    expect(hydrations).toHaveLength(1)
    const held = notes(HELD).map((row) => ({ ...row, _version: 1 }))
    expect(app.store.getState().replica.collections.note).toEqual(entityStateFrom(held, (row) => row.id))
    await app.store.replica.close()
  })

  it('keeps a write and a subscribe dispatched while it runs, applied after the stored rows', async () => {
    const persistence = await heldDatabase()
    // The writes stay pending: the server never answers their push (it gives up when the replica closes).
    const push: PushTransport = { push: ({ signal }) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))) }
    const app = startApp(server, persistence, 'during', { unchecked: UNCHECKED, push })
    const scope = { collection: 'note', filter: { project_id: 2 } }
    let dispatchedWhile: string | undefined
    setTimeout(() => {
      dispatchedWhile = app.replica.selectors.selectHydration(app.store.getState()).status
      app.store.dispatch(app.replica.actions.save({ collection: 'note', row: { id: 5, project_id: 1, body: 'edited while hydrating' } }))
      app.store.dispatch(app.replica.actions.save({ collection: 'note', row: { id: HELD + 1, project_id: 1, body: 'new while hydrating' } }))
      app.store.dispatch(app.replica.actions.subscribe(scope))
    }, 0)
    await app.store.replica.whenHydrated()
    expect(dispatchedWhile).toBe('pending')

    const selectors = app.replica.selectors
    // The edit of a stored row shows over it, not under it: hydration did not replace it afterwards.
    const state = await waitFor(app.store, (s) => selectors.note.selectById(s, 5)?.body === 'edited while hydrating' && selectors.note.selectById(s, HELD + 1) !== undefined)
    expect(selectors.note.selectTotal(state)).toBe(HELD + 1)
    expect(selectors.note.selectById(state, 6)).toEqual({ id: 6, project_id: 1, body: 'Note 6', _version: 1 })
    await waitFor(app.store, (s) => selectors.selectSubscription(s, scope).status === 'synced')
    await app.store.replica.close()
  })
})
