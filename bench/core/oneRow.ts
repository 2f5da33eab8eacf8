import { configureStore, createEntityAdapter, createSlice } from '@reduxjs/toolkit'
import type { PayloadAction } from '@reduxjs/toolkit'
import type { WireRow } from '../../src/core/protocol'
import { memoryTransport } from '../lib/memoryTransport'
import { ALL_NOTES, replicaStore, whenSynced } from '../lib/replicaStore'
import type { NoteRow } from '../lib/rows'
import { timeEach } from '../lib/timeEach'

export interface OneRowResult {
  /** Median of `store.dispatch` of one one-row action into a collection of n rows. */
  dispatchMs: number
  /** The same dispatch followed by what a subscribed list component does: selectAll. */
  dispatchSelectAllMs: number
  /** Followed by selectById (what a row component does). */
  dispatchSelectByIdMs: number
}

const edited = (row: WireRow, i: number): NoteRow => ({ ...(row as NoteRow), body: `edited ${i}`, _version: 1e9 + i + 20 })

/** redux-replica: `store.dispatch(replica.internalActions.pageApplied({ one row }))` on a synced collection. */
export async function replicaOneRow(rows: readonly WireRow[]): Promise<OneRowResult> {
  const rs = replicaStore(memoryTransport(rows))
  await rs.store.replica.whenHydrated()
  const synced = whenSynced(rs)
  rs.store.dispatch(rs.replica.actions.subscribe(ALL_NOTES))
  await synced
  const { store, replica } = rs
  const note = replica.selectors.note
  const pick = (i: number) => rows[(((i * 7919 + 50_000) % rows.length) + rows.length) % rows.length] as WireRow
  const one = (i: number) => {
    const row = edited(pick(i), i)
    store.dispatch(replica.internalActions.pageApplied({ key: 'note:{}', collection: 'note', upserted: [row], removed: [], received: 1 }))
    return row
  }
  // Build the flat views once, as a mounted list would have, so later figures are incremental.
  note.selectAll(store.getState())
  const dispatchMs = timeEach((i) => one(i))
  const dispatchSelectAllMs = timeEach((i) => {
    one(i)
    note.selectAll(store.getState())
  })
  const dispatchSelectByIdMs = timeEach((i) => {
    const row = one(i)
    note.selectById(store.getState(), row.id)
  })
  await store.replica.close()
  return { dispatchMs, dispatchSelectAllMs, dispatchSelectByIdMs }
}

/** The comparison: RTK `createEntityAdapter().upsertMany` (Immer) on one flat `entities` object. */
export function rtkOneRow(rows: readonly WireRow[]): OneRowResult {
  const adapter = createEntityAdapter<NoteRow>()
  const slice = createSlice({
    name: 'note',
    initialState: adapter.getInitialState(),
    reducers: { upsertMany: (state, action: PayloadAction<NoteRow[]>) => void adapter.upsertMany(state, action.payload) },
  })
  const store = configureStore({
    reducer: { note: slice.reducer },
    middleware: (gDM) => gDM({ serializableCheck: false, immutableCheck: false }),
  })
  // Loaded in one action: the per-page cost of RTK at 100k is not what this measures.
  store.dispatch(slice.actions.upsertMany(rows as NoteRow[]))
  const selectors = adapter.getSelectors((s: ReturnType<typeof store.getState>) => s.note)
  const pick = (i: number) => rows[(((i * 7919 + 50_000) % rows.length) + rows.length) % rows.length] as WireRow
  const one = (i: number) => {
    const row = edited(pick(i), i)
    store.dispatch(slice.actions.upsertMany([row]))
    return row
  }
  selectors.selectAll(store.getState())
  // Fewer samples: each costs tens of ms at 100k rows.
  const dispatchMs = timeEach((i) => one(i), 21)
  const dispatchSelectAllMs = timeEach((i) => {
    one(i)
    selectors.selectAll(store.getState())
  }, 21)
  const dispatchSelectByIdMs = timeEach((i) => {
    const row = one(i)
    selectors.selectById(store.getState(), row.id)
  }, 21)
  return { dispatchMs, dispatchSelectAllMs, dispatchSelectByIdMs }
}
