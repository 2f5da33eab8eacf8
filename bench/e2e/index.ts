import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { BenchArgs } from '../lib/args'
import { interleaved } from '../lib/medianOf'
import { emit, fmt, table } from '../lib/output'
import type { Figure } from '../lib/output'
import { mb, round } from '../lib/stats'
import type { FloorResult } from './floor'
import type { LiveUpdateResult } from './liveUpdate'
import type { ReplicaSyncResult } from './replicaSync'
import { startServer } from './serverProcess'

export const REPLICA = 'redux-replica'
export const REPLICA_MEMORY = 'redux-replica (memoryPersistence)'
export const RXDB = 'RxDB 17.6 (memory storage)'
export const SEED_2015 = '2015 algorithm'

/**
 * Issue 6: the reference server on SQLite on loopback (its own process) with n rows, and each
 * contender in fresh client processes against it, interleaved round by round. Returns the
 * initial-sync figures for the chart.
 */
export async function runE2E(args: BenchArgs): Promise<Figure[]> {
  const figures: Figure[] = []
  const syncRows: (string | number)[][] = []
  const otherRows: (string | number)[][] = []
  for (const n of args.sizes) {
    const server = await startServer(n)
    const dir = mkdtempSync(path.join(tmpdir(), 'replica-bench-client-'))
    const file = (name: string) => path.join(dir, `${name}.db`)
    const { url } = server
    console.log(`\n${n.toLocaleString('en-US')} rows: server seeded in ${server.seedSeconds} s at ${url}`)
    try {
      const results = await interleaved([
        { name: 'floor', task: 'e2e-floor', args: { url } },
        { name: REPLICA, task: 'e2e-replica', args: { url, file: file('replica') } },
        { name: REPLICA_MEMORY, task: 'e2e-replica', args: { url, memory: true } },
        // Comparisons, not targets: left out of `--targets` runs.
        ...(args.targetsOnly ? [] : [
          { name: RXDB, task: 'e2e-rxdb', args: { url } },
          { name: SEED_2015, task: 'e2e-2015', args: { url, capMs: args.capSeconds * 1000 }, options: { timeoutMs: args.capSeconds * 1000 + 120_000 } },
        ]),
      ], args.runs)
      const floor = results.get('floor') as unknown as FloorResult
      const ours = results.get(REPLICA) as unknown as ReplicaSyncResult
      const sync = (contender: string, extra: Record<string, unknown> = {}): Figure | undefined => {
        const r = results.get(contender) as { ms: number; rows: number; capped?: boolean } | undefined
        if (!r) return undefined
        const figure: Figure = {
          bench: 'initial-sync', contender, n, ms: round(r.ms), rows_per_s: Math.round((r.rows / r.ms) * 1000),
          ratio_to_floor: round(r.ms / floor.ms), heap_mb: null, rows: r.rows, runs: args.runs,
          ...(r.capped ? { capped: true, note: `stopped after ${args.capSeconds} s; rate so far` } : {}), ...extra,
        }
        figures.push(figure)
        emit(figure)
        const oursRate = (ours.rows / ours.ms) * 1000
        syncRows.push([contender + (r.capped ? ` (capped at ${args.capSeconds} s: rate so far)` : ''), n.toLocaleString('en-US'), fmt(r.ms), fmt(figure.rows_per_s),
          `${fmt(figure.ratio_to_floor, 2)}x`, contender === REPLICA || contender === REPLICA_MEMORY || contender === 'floor' ? '-' : `${fmt(oursRate / (figure.rows_per_s as number), 1)}x`,
          typeof extra.last_to_first === 'number' ? `${fmt(extra.last_to_first, 2)}x` : '-', typeof extra.max_blocked_ms === 'number' ? fmt(extra.max_blocked_ms, 0) : '-'])
        return figure
      }
      sync('floor', { body_mb: mb(floor.bodyBytes) })
      const pageFigures = (r: ReplicaSyncResult | undefined) => (!r ? {} : {
        first_pages_ms: round(r.firstPagesMs, 3), last_pages_ms: round(r.lastPagesMs, 3), last_to_first: round(r.lastPagesMs / r.firstPagesMs), max_blocked_ms: round(r.maxBlockedMs, 1),
      })
      sync(REPLICA, pageFigures(ours))
      sync(REPLICA_MEMORY, pageFigures(results.get(REPLICA_MEMORY) as unknown as ReplicaSyncResult | undefined))
      sync(RXDB)
      sync(SEED_2015)

      // Hydration reads the file the last redux-replica sync left; memory and live run on their own.
      const more = await interleaved([
        { name: 'hydration', task: 'e2e-hydrate', args: { url, file: file('replica') } },
        ...(args.targetsOnly ? [] : [{ name: 'memory', task: 'e2e-memory', args: { url, file: file('memory') } }]),
        { name: 'live', task: 'e2e-live', args: { url, file: file('live'), n } },
      ], args.runs)
      const hydration = more.get('hydration') as { ms: number; rows: number }
      const memory = more.get('memory') as unknown as ReplicaSyncResult | undefined
      const live = more.get('live') as unknown as LiveUpdateResult
      const heldMb = memory ? mb(memory.heldHeapBytes - memory.baseHeapBytes) : NaN
      const jsonMb = memory ? mb(memory.jsonBytes) : NaN
      emit({ bench: 'hydration', contender: REPLICA, n, ms: round(hydration.ms), rows_per_s: Math.round((hydration.rows / hydration.ms) * 1000), ratio_to_floor: null, heap_mb: null, runs: args.runs })
      if (memory) {
        emit({ bench: 'memory', contender: REPLICA, n, ms: null, rows_per_s: null, ratio_to_floor: null, heap_mb: heldMb,
          json_mb: jsonMb, heap_to_json: round(heldMb / jsonMb), peak_heap_mb: mb(memory.peakHeapBytes), peak_rss_mb: mb(memory.peakRssBytes), runs: args.runs })
      }
      emit({ bench: 'live-update', contender: REPLICA, n, ms: round(live.endToEndMs, 3), rows_per_s: null, ratio_to_floor: null, heap_mb: null,
        round_trip_ms: round(live.roundTripMs, 3), over_round_trip_ms: round(live.endToEndMs - live.roundTripMs, 3), reducer_ms: round(live.dispatchMs, 4),
        settled_ms: round(live.settledMs, 2), max_blocked_ms: round(live.maxBlockedMs, 1), runs: args.runs })
      otherRows.push([n.toLocaleString('en-US'), fmt(live.dispatchMs, 3), fmt(live.endToEndMs, 2), fmt(live.roundTripMs, 2), fmt(live.settledMs, 1), fmt(live.maxBlockedMs, 0), fmt(hydration.ms),
        fmt(heldMb), fmt(jsonMb), memory ? `${fmt(heldMb / jsonMb, 2)}x` : '-', fmt(memory && mb(memory.peakHeapBytes)), fmt(memory && mb(memory.peakRssBytes))])
    } finally {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  console.log(table('Initial sync from the reference server (SQLite, loopback HTTP, pages of 250; median of fresh processes, interleaved)',
    ['contender', 'rows', 'ms', 'rows/s', 'time / floor', 'redux-replica faster by', 'last 10% / first 10% of pages (median)', 'longest event-loop block ms'], syncRows))
  console.log(table('redux-replica: live update, hydration, memory (median of fresh processes)',
    ['rows held', 'live: reducer ms', 'live: end to end ms', 'one round trip ms', 'live: until saved ms', 'live: max event-loop block ms', 'hydration ms', 'heap held MB', 'rows as JSON MB', 'heap / JSON', 'peak heap MB', 'peak RSS MB'], otherRows))
  return figures
}
