import type { UnknownAction } from '@reduxjs/toolkit'
import { collection, createReplica, memoryPersistence } from '../../src'
import type { Row } from '../../src/core/pullWire'
import { memoryTransport } from '../lib/memoryTransport'
import { noteRow } from '../lib/rows'
import type { NoteRow } from '../lib/rows'
import { gc, headTail } from '../lib/stats'
import { timeEach } from '../lib/timeEach'

export interface ReducerResult {
  /** One `hydrateCollection` of n rows: the Redux half of hydration. */
  hydrateMs: number
  /** n rows in pages of 250 through the reducer alone (no Loki, no store). */
  fillMs: number
  /** Per page of 250 during that fill: median of the first and of the last 10% of pages. */
  fillFirstPageMs: number
  fillLastPageMs: number
  /** One page of 1,000 upserts of rows held (spread over the collection), into n rows: median. */
  page1000Ms: number
  /** One page of 1,000 new rows into n rows: median. */
  insert1000Ms: number
  /** One row changed, reducer alone: median. */
  oneRowMs: number
  /** One row changed, then the views a mounted list reads, each built once before: medians. */
  oneRowSelectAllMs: number
  oneRowSelectWhereMs: number
  oneRowSelectIdsMs: number
  oneRowSelectEntitiesMs: number
}

const PAGE = 250
const KEY = 'note:{}'

/** `count` values made now, then handed out by `timeEach`'s index (warm-up calls have negative ones). */
function prepared<V>(count: number, make: (i: number) => V): (i: number) => V {
  const values = Array.from({ length: count }, (_, k) => make(k - WARM_UP))
  return (i) => values[i + WARM_UP] as V
}

const WARM_UP = 5

/**
 * The replica's own reducer and selectors (createReplica's, called directly: no middleware, no
 * Loki), with n rows held: the Redux side of hot spot 9 in docs/benchmarks.md.
 */
export function reducerBench(n: number): ReducerResult {
  const replica = createReplica({ collections: { note: collection<NoteRow>() }, transport: memoryTransport([]), persistence: memoryPersistence() })
  const { internalActions } = replica
  let state = replica.reducer(undefined, { type: '@@init' })
  const reduce = (action: UnknownAction) => (state = replica.reducer(state, action))
  const page = (upserted: readonly NoteRow[]) =>
    reduce(internalActions.pageApplied({ key: KEY, collection: 'note', upserted: upserted as unknown as Row[], removed: [], received: upserted.length }))
  const rows = Array.from({ length: n }, (_, i) => noteRow(i))

  gc()
  let t = performance.now()
  reduce(internalActions.hydrateCollection({ collection: 'note', rows: rows as unknown as Row[] }))
  const hydrateMs = performance.now() - t

  state = replica.reducer(undefined, { type: '@@init' })
  gc()
  const pageTimes: number[] = []
  t = performance.now()
  for (let from = 0; from < n; from += PAGE) {
    const started = performance.now()
    page(rows.slice(from, from + PAGE))
    pageTimes.push(performance.now() - started)
  }
  const fillMs = performance.now() - t
  const { headMedian, tailMedian } = headTail(pageTimes)

  // Spread over the whole collection, as a catch-up after a long absence is.
  const edited = (i: number, count: number) =>
    Array.from({ length: count }, (_, j) => ({ ...(rows[((i + 10) * 7919 + j * 104_729) % n] as NoteRow), body: `edited ${i}`, _version: n + 1e6 + i }))
  // Pages are made before the clock starts: only the reducer is timed.
  const updates = prepared(26, (i) => edited(i, 1000))
  let next = n
  const inserts = prepared(26, () => Array.from({ length: 1000 }, () => noteRow(next++)))
  const singles = prepared(206, (i) => edited(i, 1))
  gc()
  const page1000Ms = timeEach((i) => page(updates(i)), 21, WARM_UP)
  const insert1000Ms = timeEach((i) => page(inserts(i)), 21, WARM_UP)
  const oneRowMs = timeEach((i) => page(singles(i)), 201, WARM_UP)

  const selectors = replica.selectors.note
  const root = () => ({ replica: state }) as Parameters<typeof selectors.selectAll>[0]
  const oneRowThen = (select: () => unknown) => {
    select()
    return timeEach((i) => {
      page(edited(i, 1))
      select()
    }, 51, WARM_UP)
  }
  const filter = { project_id: 1 }
  return {
    hydrateMs, fillMs, fillFirstPageMs: headMedian, fillLastPageMs: tailMedian, page1000Ms, insert1000Ms, oneRowMs,
    oneRowSelectAllMs: oneRowThen(() => selectors.selectAll(root())),
    oneRowSelectWhereMs: oneRowThen(() => selectors.selectWhere(root(), filter)),
    oneRowSelectIdsMs: oneRowThen(() => selectors.selectIds(root())),
    oneRowSelectEntitiesMs: oneRowThen(() => selectors.selectEntities(root())),
  }
}
