import type { WireRow } from '../../src/core/protocol'
import { memoryTransport } from '../lib/memoryTransport'
import { ALL_NOTES, replicaStore, whenSynced } from '../lib/replicaStore'
import { headTail } from '../lib/stats'

export interface InitialSyncResult {
  /** Subscribe until every row is in Loki and in Redux (the last page's dispatch returned). */
  appliedMs: number
  /** Subscribe until the subscription is `synced`: the above plus the final flush to persistence. */
  syncedMs: number
  pages: number
  /** Client time of the first and last 10% of pages (page handed over -> next pull): mean, median. */
  firstPagesMs: number
  lastPagesMs: number
  firstPagesMedianMs: number
  lastPagesMedianMs: number
  /** Time spent inside the transport (JSON round trip and validation, when on). */
  transportMs: number
}

/**
 * Full initial sync of `rows` through the real createReplica + configureStore + memoryPersistence
 * from an in-process source. Per-page cost is timed from the moment a pull hands its page to the
 * engine to the moment the engine asks for the next one: Loki write, dispatch, reducers, listeners.
 */
export async function initialSync(rows: readonly WireRow[], json: boolean): Promise<InitialSyncResult> {
  const pageMs: number[] = []
  let handedAt = 0
  let pullStartedAt = 0
  let transportMs = 0
  const transport = memoryTransport(rows, {
    json,
    onPullStart: () => {
      pullStartedAt = performance.now()
      if (handedAt) pageMs.push(pullStartedAt - handedAt)
    },
    onPullEnd: () => {
      handedAt = performance.now()
      transportMs += handedAt - pullStartedAt
    },
  })
  const rs = replicaStore(transport)
  await rs.store.replica.whenHydrated()
  let appliedAt = 0
  const note = rs.replica.selectors.note
  const unsubscribe = rs.store.subscribe(() => {
    if (!appliedAt && note.selectTotal(rs.store.getState()) === rows.length) appliedAt = performance.now()
  })
  const synced = whenSynced(rs)
  const start = performance.now()
  rs.store.dispatch(rs.replica.actions.subscribe(ALL_NOTES))
  await synced
  const syncedMs = performance.now() - start
  unsubscribe()
  if (!appliedAt) throw new Error(`expected ${rows.length} rows in Redux, found ${note.selectTotal(rs.store.getState())}`)
  await rs.store.replica.close()
  // Every page but the last is timed (the last one is followed by no pull: its cost is in the totals).
  const { headMean, tailMean, headMedian, tailMedian } = headTail(pageMs)
  return {
    appliedMs: appliedAt - start, syncedMs, pages: pageMs.length + 1, transportMs,
    firstPagesMs: headMean, lastPagesMs: tailMean, firstPagesMedianMs: headMedian, lastPagesMedianMs: tailMedian,
  }
}
