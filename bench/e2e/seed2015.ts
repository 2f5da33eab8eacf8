import { configureStore, createEntityAdapter, createSlice } from '@reduxjs/toolkit'
import type { PayloadAction } from '@reduxjs/toolkit'
import Loki from 'lokijs'
import { FILTER } from './http'

type ServerRecord = { id: number; updated_at: string; [field: string]: unknown }

export interface Seed2015Result {
  ms: number
  rows: number
  /** True when the run was stopped at the time cap: `rows` is what it held by then. */
  capped: boolean
}

/**
 * The 2015 algorithm, as the blog's downloadUpdatesFor and loadData wrote it:
 * pages of 250 from `/offline/download_updated?scope=` with the `(updated_at, id)` cursor of the
 * last row; per row a `findOne({id})` (no index: Loki scans) and, when absent, an insert; the
 * subscription's cursor and counter saved per row; and, as its Flux stores did, one dispatch per
 * row, here into an RTK entity reducer (Immer, dev checks off). Updates of held rows are the
 * blog's TODO and never happen in an initial sync.
 */
export async function seed2015(url: string, capMs: number): Promise<Seed2015Result> {
  const db = new Loki('seed2015.db', { adapter: new Loki.LokiMemoryAdapter() })
  const notes = db.addCollection<ServerRecord>('note')
  const subscriptions = db.addCollection<{ collection: string; filter: object; lastIdCursor: unknown; lastUpdatedCursor: unknown; recordsDownloaded: number }>('subscriptions')
  const subscription = subscriptions.insert({ collection: 'note', filter: FILTER, lastIdCursor: null, lastUpdatedCursor: null, recordsDownloaded: 0 })!

  const adapter = createEntityAdapter<ServerRecord>()
  const slice = createSlice({
    name: 'note',
    initialState: adapter.getInitialState(),
    reducers: { received: (state, action: PayloadAction<ServerRecord>) => void adapter.upsertOne(state, action.payload) },
  })
  const store = configureStore({ reducer: { note: slice.reducer }, middleware: (gDM) => gDM({ serializableCheck: false, immutableCheck: false }) })

  const start = performance.now()
  let i = subscription.lastIdCursor
  let d = subscription.lastUpdatedCursor
  let data: ServerRecord[]
  do {
    const scope = { collection: subscription.collection, filter: subscription.filter, lastIdCursor: i, lastUpdatedCursor: d }
    const response = await fetch(`${url}/offline/download_updated?scope=${encodeURIComponent(JSON.stringify(scope))}`)
    data = JSON.parse(await response.text()) as ServerRecord[]
    for (const serverRecord of data) {
      const localRecord = notes.findOne({ id: serverRecord.id } as never)
      if (!localRecord) {
        // A copy goes to Redux: Immer freezes what it stores, and Loki keeps (and mutates) what it inserts.
        store.dispatch(slice.actions.received({ ...serverRecord }))
        notes.insert(serverRecord)
        subscription.recordsDownloaded += 1
        subscription.lastIdCursor = serverRecord.id
        subscription.lastUpdatedCursor = serverRecord.updated_at
        subscriptions.update(subscription)
      }
    }
    const lastItem = data[data.length - 1]
    if (lastItem) {
      i = lastItem.id
      d = lastItem.updated_at
    }
    if (performance.now() - start > capMs) return { ms: performance.now() - start, rows: notes.count(), capped: true }
  } while (data.length > 0)
  return { ms: performance.now() - start, rows: notes.count(), capped: false }
}
