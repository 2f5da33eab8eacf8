import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { BenchArgs } from '../lib/args'
import { medianOf } from '../lib/medianOf'
import { emit, fmt, table } from '../lib/output'
import type { Figure } from '../lib/output'
import { mb, round } from '../lib/stats'
import type { FloorResult } from './floor'
import type { LiveUpdateResult } from './liveUpdate'
import type { ReplicaSyncResult } from './replicaSync'
import type { Seed2015Result } from './seed2015'
import { startServer } from './serverProcess'

type R<T> = T & Record<string, unknown>

export const CONTENDERS = ['floor', 'redux-replica', 'RxDB 17.6 (memory)', '2015 algorithm'] as const

/**
 * Issue 6: the reference server on SQLite on loopback (its own process) with n rows, and each
 * contender in fresh client processes against it. Returns the initial-sync figures for the chart.
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
      const floor = await medianOf<R<FloorResult>>('e2e-floor', { url }, args.runs)
      const sync = (contender: string, ms: number, rows: number, extra: Record<string, unknown> = {}) => {
        const figure: Figure = {
          bench: 'initial-sync', contender, n, ms: round(ms), rows_per_s: Math.round((rows / ms) * 1000),
          ratio_to_floor: round(ms / floor.ms), heap_mb: null, rows, runs: args.runs, ...extra,
        }
        figures.push(figure)
        return figure
      }
      const floorFigure = sync('floor', floor.ms, floor.rows, { body_mb: mb(floor.bodyBytes) })
      emit(floorFigure)

      const replica = await medianOf<R<ReplicaSyncResult>>('e2e-replica', { url, file: file('replica') }, args.runs)
      const memory = await medianOf<R<ReplicaSyncResult>>('e2e-memory', { url, file: file('memory') }, args.runs)
      const heldMb = mb(memory.heldHeapBytes - memory.baseHeapBytes)
      const replicaFigure = sync('redux-replica', replica.ms, replica.rows, { heap_mb: heldMb })
      emit(replicaFigure)

      let rxdbFigure: Figure | undefined
      try {
        const rx = await medianOf<R<{ ms: number; rows: number }>>('e2e-rxdb', { url }, args.runs)
        rxdbFigure = sync(CONTENDERS[2], rx.ms, rx.rows)
        emit(rxdbFigure)
      } catch (error) {
        console.error(`RxDB could not run: ${(error as Error).message.slice(0, 500)}`)
      }

      const seed = await medianOf<R<Seed2015Result>>('e2e-2015', { url, capMs: args.capSeconds * 1000 }, args.runs, { timeoutMs: args.capSeconds * 1000 + 120_000 })
      const seedFigure = sync(CONTENDERS[3], seed.ms, seed.rows, seed.capped ? { capped: true, note: `stopped after ${args.capSeconds} s; rate so far` } : {})
      emit(seedFigure)

      for (const f of [floorFigure, replicaFigure, rxdbFigure, seedFigure]) {
        if (!f) continue
        const ours = replicaFigure.rows_per_s as number
        syncRows.push([f.contender + (f.capped ? ' (capped: rate so far)' : ''), n.toLocaleString('en-US'), fmt(f.ms), fmt(f.rows_per_s),
          `${fmt(f.ratio_to_floor, 2)}x`, f.contender === 'redux-replica' || f.contender === 'floor' ? '-' : `${fmt(ours / (f.rows_per_s as number), 1)}x`])
      }

      const hydration = await medianOf<R<{ ms: number; rows: number }>>('e2e-hydrate', { url, file: file('replica') }, args.runs)
      emit({ bench: 'hydration', contender: 'redux-replica', n, ms: round(hydration.ms), rows_per_s: Math.round((hydration.rows / hydration.ms) * 1000), ratio_to_floor: null, heap_mb: null, runs: args.runs })

      const jsonMb = mb(memory.jsonBytes)
      emit({ bench: 'memory', contender: 'redux-replica', n, ms: null, rows_per_s: null, ratio_to_floor: null, heap_mb: heldMb,
        json_mb: jsonMb, heap_to_json: round(heldMb / jsonMb), peak_heap_mb: mb(memory.peakHeapBytes), peak_rss_mb: mb(memory.peakRssBytes), runs: args.runs })

      const live = await medianOf<R<LiveUpdateResult>>('e2e-live', { url, file: file('live'), n }, args.runs)
      emit({ bench: 'live-update', contender: 'redux-replica', n, ms: round(live.endToEndMs, 3), rows_per_s: null, ratio_to_floor: null, heap_mb: null,
        round_trip_ms: round(live.roundTripMs, 3), over_round_trip_ms: round(live.endToEndMs - live.roundTripMs, 3), reducer_ms: round(live.dispatchMs, 4),
        settled_ms: round(live.settledMs, 2), max_blocked_ms: round(live.maxBlockedMs, 1), runs: args.runs })

      otherRows.push([n.toLocaleString('en-US'), fmt(live.dispatchMs, 3), fmt(live.endToEndMs, 2), fmt(live.roundTripMs, 2), fmt(live.settledMs, 1), fmt(live.maxBlockedMs, 0), fmt(hydration.ms),
        fmt(heldMb), fmt(jsonMb), `${fmt(heldMb / jsonMb, 2)}x`, fmt(mb(memory.peakHeapBytes)), fmt(mb(memory.peakRssBytes))])
    } finally {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  console.log(table('Initial sync from the reference server (SQLite, loopback HTTP, pages of 250; median of fresh processes)',
    ['contender', 'rows', 'ms', 'rows/s', 'time / floor', 'redux-replica faster by'], syncRows))
  console.log(table('redux-replica: live update, hydration, memory (median of fresh processes)',
    ['rows held', 'live: reducer ms', 'live: end to end ms', 'one round trip ms', 'live: until saved ms', 'live: max event-loop block ms', 'hydration ms', 'heap held MB', 'rows as JSON MB', 'heap / JSON', 'peak heap MB', 'peak RSS MB'], otherRows))
  return figures
}
