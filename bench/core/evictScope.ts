import { configureStore } from '@reduxjs/toolkit'
import { collection, createReplica, memoryPersistence } from '../../src'
import type { Change } from '../../src/core/pullWire'
import type { WireRow } from '../../src/core/protocol'
import { openLocalStore } from '../../src/store/localStore'
import { memoryTransport } from '../lib/memoryTransport'
import type { NoteRow } from '../lib/rows'
import { median } from '../lib/stats'

export interface EvictScopeResult {
  /** Median of `localStore.evictScope` of a scope holding 10 rows, in ms. */
  storeMs: number
  /** Median of dispatching its `evicted` action (10 keys) into a store whose collection holds the rows, in ms. */
  reduxMs: number
  /** For scale: one pass over every stored row (what a scan for the scope's rows would cost), in ms. */
  scanMs: number
  /** Rows left in the local store after the evictions (the big scope's). */
  rowsLeft: number
}

const SCOPES = 101
const SCOPE_ROWS = 10

const change = (row: WireRow): Change => ({ key: row.id as number, version: row._version as number, deleted: false, row })

/**
 * The cost of evicting one scope of 10 rows while `rows` rows are held: the local store's step
 * (through its holder index) and the Redux step, each the median of 101 scopes evicted one by one.
 */
export async function evictScope(rows: readonly WireRow[]): Promise<EvictScopeResult> {
  const store = await openLocalStore({ persistence: memoryPersistence(), collections: { note: { primaryKey: 'id' } } })
  const big = { key: 'note:{"project_id":1}', collection: 'note', filter: { project_id: 1 } }
  for (let i = 0; i < rows.length; i += 1000) store.applyPage({ subscription: big, changes: rows.slice(i, i + 1000).map(change), checkpoint: i })
  const small = Array.from({ length: SCOPES }, (_, s) => {
    const scope = { key: `note:{"project_id":${s + 2}}`, collection: 'note', filter: { project_id: s + 2 } }
    const scopeRows = Array.from({ length: SCOPE_ROWS }, (_, i): WireRow => ({ id: 10_000_000 + s * SCOPE_ROWS + i, project_id: s + 2, body: 'x', _version: 10_000_000 + s * SCOPE_ROWS + i }))
    store.applyPage({ subscription: scope, changes: scopeRows.map(change), checkpoint: s })
    return { scope, scopeRows }
  })

  const storeTimes: number[] = []
  const evicted: Array<{ key: string; removed: number[] }> = []
  for (const { scope } of small) {
    const t = performance.now()
    const eviction = store.evictScope(scope.key)
    storeTimes.push(performance.now() - t)
    evicted.push({ key: scope.key, removed: eviction?.removed as number[] })
  }
  const scanTimes: number[] = []
  const all = store.readAll('note')
  for (let i = 0; i < 11; i++) {
    const t = performance.now()
    let found = 0
    for (const row of all) if (row.project_id === -1) found++
    scanTimes.push(performance.now() - t + found)
  }

  // The Redux side: a store holding every row, each eviction one dispatch.
  const replica = createReplica({ collections: { note: collection<NoteRow>() }, transport: memoryTransport([]), persistence: memoryPersistence() })
  const redux = configureStore({
    reducer: { replica: replica.reducer },
    middleware: (gDM) => gDM({ serializableCheck: false, immutableCheck: false }).concat(replica.middleware),
    enhancers: (gDE) => gDE().concat(replica.enhancer),
  })
  await redux.replica.whenHydrated()
  redux.dispatch(replica.internalActions.hydrateCollection({ collection: 'note', rows: [...rows, ...small.flatMap((s) => s.scopeRows)] }))
  replica.selectors.note.selectAll(redux.getState())
  const reduxTimes = evicted.map(({ key, removed }) => {
    const t = performance.now()
    redux.dispatch(replica.internalActions.evicted({ key, collection: 'note', removed, kept: 0, reason: 'unused' }))
    return performance.now() - t
  })
  const rowsLeft = store.readAll('note').length
  await redux.replica.close()
  await store.close()
  return { storeMs: median(storeTimes), reduxMs: median(reduxTimes), scanMs: median(scanTimes), rowsLeft }
}
