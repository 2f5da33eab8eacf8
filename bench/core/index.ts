import type { BenchArgs } from '../lib/args'
import { medianOf } from '../lib/medianOf'
import { emit, fmt, table } from '../lib/output'
import { round } from '../lib/stats'
import type { InitialSyncResult } from './initialSync'
import type { OneRowResult } from './oneRow'
import type { EvictScopeResult } from './evictScope'
import type { ReducerResult } from './reducer'

/** Figures measured once on the same machine size (not rerun here), shown next to ours for scale. */
const BASELINE_RTK_PAGES_MS: Record<number, number> = { 10_000: 187, 100_000: 20_500 }

/**
 * Issue 2: rows through transport, Loki and Redux from an in-process source, and the cost of one
 * row into a full collection. Targets: 100k in < 1 s, last pages <= 1.5x the first, one row < 2 ms.
 */
export async function runCore(args: BenchArgs): Promise<void> {
  const syncRows: (string | number)[][] = []
  // `--targets`: only the one-row dispatch (a target); the syncs and the reducer table are not.
  for (const n of args.targetsOnly ? [] : args.sizes) {
    for (const json of [false, true]) {
      const r = await medianOf<InitialSyncResult & Record<string, unknown>>('core-sync', { n, json }, args.runs)
      const contender = json ? 'redux-replica (JSON round trip)' : 'redux-replica (objects)'
      const ratio = r.lastPagesMs / r.firstPagesMs
      const medianRatio = r.lastPagesMedianMs / r.firstPagesMedianMs
      emit({
        bench: 'core-sync', contender, n, ms: round(r.appliedMs), rows_per_s: Math.round((n / r.appliedMs) * 1000),
        ratio_to_floor: null, heap_mb: null, synced_ms: round(r.syncedMs), first_pages_ms: round(r.firstPagesMs, 3),
        last_pages_ms: round(r.lastPagesMs, 3), last_to_first: round(ratio), first_pages_median_ms: round(r.firstPagesMedianMs, 3),
        last_pages_median_ms: round(r.lastPagesMedianMs, 3), last_to_first_median: round(medianRatio), transport_ms: round(r.transportMs), runs: args.runs,
      })
      syncRows.push([contender, n.toLocaleString('en-US'), fmt(r.appliedMs), fmt((n / r.appliedMs) * 1000), fmt(r.syncedMs),
        `${fmt(r.firstPagesMs, 2)} / ${fmt(r.firstPagesMedianMs, 2)}`, `${fmt(r.lastPagesMs, 2)} / ${fmt(r.lastPagesMedianMs, 2)}`,
        `${fmt(ratio, 2)} / ${fmt(medianRatio, 2)}`, fmt(BASELINE_RTK_PAGES_MS[n])])
    }
  }
  if (syncRows.length > 0) console.log(table('Core: initial sync from an in-process source (median of fresh processes)',
    ['contender', 'rows', 'in Loki+Redux ms', 'rows/s', 'synced+flushed ms', 'first 10% pages ms (mean / median)', 'last 10% ms', 'last/first', 'RTK upsertMany/page ms (baseline)'], syncRows))

  const oneRows: (string | number)[][] = []
  for (const n of args.sizes.filter((size) => (args.targetsOnly ? size === 100_000 : size >= 100_000))) {
    const contenders: [string, string][] = [['redux-replica pageApplied', 'core-onerow-replica']]
    // RTK needs tens of ms per dispatch at 10^5 and seconds to load 10^6: measured at 100k only.
    if (n === 100_000 && !args.targetsOnly) contenders.push(['RTK createEntityAdapter upsertMany', 'core-onerow-rtk'])
    for (const [contender, task] of contenders) {
      const r = await medianOf<OneRowResult & Record<string, unknown>>(task, { n }, args.runs)
      emit({ bench: 'core-one-row', contender, n, ms: round(r.dispatchMs, 4), rows_per_s: null, ratio_to_floor: null, heap_mb: null,
        dispatch_select_all_ms: round(r.dispatchSelectAllMs, 3), dispatch_select_by_id_ms: round(r.dispatchSelectByIdMs, 4), runs: args.runs })
      oneRows.push([contender, n.toLocaleString('en-US'), fmt(r.dispatchMs, 3), fmt(r.dispatchSelectByIdMs, 3), fmt(r.dispatchSelectAllMs, 2)])
    }
  }
  if (oneRows.length > 0) {
    oneRows.push(['baseline: {...entities} of 100k keys', '100,000', '58', '-', '-'])
    console.log(table('Core: one dispatch updating ONE row in a full collection (median of samples, median of processes)',
      ['contender', 'rows held', 'dispatch ms', '+ selectById ms', '+ selectAll ms'], oneRows))
  }

  // Issue 15: what evicting a scope of 10 rows costs while the collection holds many more.
  const evictRows: (string | number)[][] = []
  for (const n of args.sizes) {
    const r = await medianOf<EvictScopeResult & Record<string, unknown>>('core-evict', { n }, args.runs)
    emit({ bench: 'core-evict-scope', contender: 'redux-replica evictScope + evicted', n, ms: round(r.storeMs + r.reduxMs, 4), rows_per_s: null, ratio_to_floor: null, heap_mb: null,
      store_ms: round(r.storeMs, 4), redux_ms: round(r.reduxMs, 4), scan_ms: round(r.scanMs, 4), runs: args.runs })
    evictRows.push([n.toLocaleString('en-US'), fmt(r.storeMs, 3), fmt(r.reduxMs, 3), fmt(r.scanMs, 3)])
  }
  console.log(table('Core: evicting one scope of 10 rows while the collection holds n rows (median of 101 scopes, median of processes)',
    ['rows held', 'local store ms', 'Redux dispatch ms', 'one pass over the rows ms (for scale)'], evictRows))
  if (!args.targetsOnly) await runReducer(args)
}

/** Hot spot 9: the replica's reducer and views alone, at each size (docs/benchmarks.md). */
async function runReducer(args: BenchArgs): Promise<void> {
  const rows: (string | number)[][] = []
  for (const n of args.sizes) {
    const r = await medianOf<ReducerResult & Record<string, unknown>>('core-reducer', { n }, args.runs)
    emit({ bench: 'core-reducer', contender: 'redux-replica reducer', n, ms: round(r.fillMs), rows_per_s: Math.round((n / r.fillMs) * 1000), ratio_to_floor: null, heap_mb: null,
      hydrate_ms: round(r.hydrateMs), first_page_ms: round(r.fillFirstPageMs, 3), last_page_ms: round(r.fillLastPageMs, 3), last_to_first: round(r.fillLastPageMs / r.fillFirstPageMs),
      page_1000_ms: round(r.page1000Ms, 3), insert_1000_ms: round(r.insert1000Ms, 3), one_row_ms: round(r.oneRowMs, 4), one_row_select_all_ms: round(r.oneRowSelectAllMs, 3),
      one_row_select_where_ms: round(r.oneRowSelectWhereMs, 3), one_row_select_ids_ms: round(r.oneRowSelectIdsMs, 3), one_row_select_entities_ms: round(r.oneRowSelectEntitiesMs, 4), runs: args.runs })
    rows.push([n.toLocaleString('en-US'), fmt(r.hydrateMs), fmt(r.fillMs), `${fmt(r.fillFirstPageMs, 2)} / ${fmt(r.fillLastPageMs, 2)}`, fmt(r.page1000Ms, 2), fmt(r.insert1000Ms, 2),
      fmt(r.oneRowMs, 3), fmt(r.oneRowSelectAllMs, 2), fmt(r.oneRowSelectWhereMs, 2), fmt(r.oneRowSelectIdsMs, 2), fmt(r.oneRowSelectEntitiesMs, 3)])
  }
  console.log(table('Core: the reducer and views alone, n rows held (createReplica reducer called directly; medians)',
    ['rows', 'hydrate ms', 'fill in pages of 250 ms', 'page first / last 10% ms', 'page of 1,000 updates ms', 'page of 1,000 inserts ms', 'one row ms', '+ selectAll ms', '+ selectWhere ms', '+ selectIds ms', '+ selectEntities ms'], rows))
}
