import { configureStore, createSlice, isImmutableDefault, isPlain } from '@reduxjs/toolkit'
import type { Middleware, UnknownAction } from '@reduxjs/toolkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { collection, createReplica, memoryPersistence } from '../../src'
import type { Transport } from '../../src'

interface Note { id: number; project_id: number; body: string }

/** An in-process server of `count` notes, pages in id order, the page's last id as the checkpoint. */
function notesTransport(count: number): Transport {
  return {
    async pull({ checkpoint, limit }) {
      const after = (checkpoint as number | null) ?? 0
      const ids = Array.from({ length: Math.min(limit, count - after) }, (_, i) => after + i + 1)
      const changes = ids.map((id) => ({ key: id, version: id, deleted: false as const, row: { id, project_id: 1, body: `note ${id}` } }))
      return { changes, checkpoint: ids.at(-1) ?? checkpoint, hasMore: after + ids.length < count }
    },
  }
}

// An app's own slice next to the replica; `mutate` breaks the rules on purpose.
const drafts = createSlice({
  name: 'drafts',
  initialState: { items: [] as string[] },
  reducers: { add: (state, action: { payload: string }) => void state.items.push(action.payload) },
})
const mutatingDrafts = (state = { items: [] as string[] }, action: UnknownAction) => {
  if (action.type === 'drafts/mutate') state.items.push('mutated in place')
  return state
}

/** The README's first example: RTK's checks on, with the replica's one line. */
function appStore(count: number, draftsReducer: typeof drafts.reducer | typeof mutatingDrafts = drafts.reducer) {
  const replica = createReplica({ collections: { note: collection<Note>() }, transport: notesTransport(count), persistence: memoryPersistence() })
  const actions: UnknownAction[] = []
  const record: Middleware = () => (next) => (action) => {
    actions.push(action as UnknownAction)
    return next(action)
  }
  const store = configureStore({
    reducer: { [replica.reducerPath]: replica.reducer, drafts: draftsReducer },
    middleware: (gDM) => gDM(replica.devCheckOptions).concat(replica.middleware, record),
    enhancers: (gDE) => gDE().concat(replica.enhancer),
    devTools: replica.devTools,
  })
  return { replica, store, actions }
}

async function syncNotes({ replica, store }: Pick<ReturnType<typeof appStore>, 'replica' | 'store'>) {
  const scope = { collection: 'note', filter: { project_id: 1 } }
  store.dispatch(replica.actions.subscribe(scope))
  await vi.waitFor(() => expect(replica.selectors.selectSubscription(store.getState(), scope).status).toBe('synced'), { timeout: 30_000 })
}

/**
 * Syncs `count` rows with RTK's checks on, then dispatches one small action of the app's and counts
 * the values the immutable and serializable checks visit for it.
 */
async function visitsPerDispatch(count: number, { devCheckOptions }: { devCheckOptions: boolean }) {
  const replica = createReplica({ collections: { note: collection<Note>() }, transport: notesTransport(count), persistence: memoryPersistence() })
  let visits = 0
  const options = devCheckOptions ? replica.devCheckOptions : { serializableCheck: {}, immutableCheck: {} }
  const store = configureStore({
    reducer: { [replica.reducerPath]: replica.reducer, drafts: drafts.reducer },
    middleware: (gDM) =>
      gDM({
        serializableCheck: { ...options.serializableCheck, warnAfter: Infinity, isSerializable: (value: unknown) => (visits++, isPlain(value)) },
        immutableCheck: { ...options.immutableCheck, warnAfter: Infinity, isImmutable: (value: unknown) => (visits++, isImmutableDefault(value)) },
      }).concat(replica.middleware),
    enhancers: (gDE) => gDE().concat(replica.enhancer),
  })
  await syncNotes({ replica, store })
  visits = 0
  store.dispatch(drafts.actions.add('one more'))
  const result = { visits, total: replica.selectors.note.selectTotal(store.getState()) }
  await store.replica.close()
  return result
}

afterEach(() => vi.restoreAllMocks())

describe('replica.devCheckOptions: RTK dev checks on, except over the rows', () => {
  // RTK's checks warn when they take longer than 32 ms, a matter of the machine's load. What the
  // option promises is independent of time: the checks visit no row, so their cost per dispatch
  // does not grow with the rows held. Count the values they visit through their own hooks.
  it('syncs 10,000 rows with checks whose work per dispatch does not grow with the rows held', async () => {
    const error = vi.spyOn(console, 'error')
    const after1k = await visitsPerDispatch(1_000, { devCheckOptions: true })
    const after10k = await visitsPerDispatch(10_000, { devCheckOptions: true })
    expect(after10k.total).toBe(10_000)
    expect(after10k.visits).toBe(after1k.visits)
    expect(after10k.visits).toBeLessThan(1_000)
    // Without the option the same dispatch visits every row: the count above is the option's doing.
    const unguarded = await visitsPerDispatch(10_000, { devCheckOptions: false })
    expect(unguarded.visits).toBeGreaterThan(10_000)
    expect(error).not.toHaveBeenCalled()
  })

  it('still catches a state mutation outside the rows', async () => {
    const app = appStore(10, mutatingDrafts)
    await syncNotes(app)
    expect(() => app.store.dispatch({ type: 'drafts/mutate' })).toThrow(/state mutation was detected/)
    await app.store.replica.close()
  })

  it('still reports a non-serializable value in an action outside the rows', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const app = appStore(10)
    await syncNotes(app)
    app.store.dispatch({ type: 'drafts/scheduled', payload: { at: new Date(0) } })
    const reports = error.mock.calls.map((call) => String(call[0]))
    expect(reports).toEqual(['A non-serializable value was detected in an action, in the path: `payload.at`. Value:'])
    await app.store.replica.close()
  })
})

describe('replica.devTools: what Redux DevTools shows', () => {
  it('shows each collection as { total, ids } with the ids capped, and leaves the store alone', async () => {
    const app = appStore(10_000)
    await syncNotes(app)
    const state = app.store.getState()
    const shown = app.replica.devTools.stateSanitizer(state, 0) as unknown as typeof state & { replica: { collections: { note: { total: number; ids: number[]; more: number } } } }
    const note = shown.replica.collections.note
    expect(note).toEqual({ total: 10_000, ids: expect.any(Array), more: 9_950 })
    expect(note.ids).toHaveLength(50)
    expect(note.ids.every((id) => Number.isInteger(id) && id >= 1 && id <= 10_000)).toBe(true)
    // Everything else is shown as it is.
    expect(shown.replica.subscriptions).toBe(state.replica.subscriptions)
    expect(shown.drafts).toBe(state.drafts)
    expect(app.replica.selectors.note.selectTotal(app.store.getState())).toBe(10_000)
    expect(JSON.stringify(shown).length).toBeLessThan(5_000)
    await app.store.replica.close()
  })

  it('shows a page as counts and passes other actions through', async () => {
    const app = appStore(600)
    await syncNotes(app)
    const page = app.actions.find((a) => a.type === app.replica.internalActions.pageApplied.type)!
    expect(app.replica.devTools.actionSanitizer(page, 0)).toEqual({
      type: 'replica/pageApplied',
      payload: expect.objectContaining({ collection: 'note', upserted: '250 rows', removed: '0 keys', received: 250 }),
    })
    expect((page.payload as { upserted: unknown[] }).upserted).toHaveLength(250)
    const other = drafts.actions.add('x')
    expect(app.replica.devTools.actionSanitizer(other, 1)).toBe(other)
    await app.store.replica.close()
  })
})
