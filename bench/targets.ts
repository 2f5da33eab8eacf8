/**
 * The targets of issue 13 (and the one-row dispatch of issue 2), checked against the figures this
 * run emitted: one table for people, one JSON line per target for machines. A target whose figure
 * this run did not measure (a size or part not asked for) is listed as such.
 */
import { emit, emittedFigures, fmt, table } from './lib/output'
import type { Figure } from './lib/output'
import type { BenchArgs, Part } from './lib/args'
import { REPLICA, REPLICA_MEMORY } from './e2e/index'
import { BROWSER_IDB } from './browser/contenders'

interface Target {
  measure: string
  /** The part of the benchmark that measures it. */
  part: Part
  n: number
  unit: 'x' | 'ms'
  /** Met when the value is at most this (or under it, when `strict`). */
  limit: number
  strict?: boolean
  /** A longest-task figure: 0 means Chromium reported no task of 50 ms or more. */
  longTask?: boolean
  value(figures: readonly Figure[]): number | undefined
}

const field = (bench: string, contender: string, n: number, name: keyof Figure | string) => (figures: readonly Figure[]) => {
  const figure = figures.find((f) => f.bench === bench && f.contender === contender && f.n === n)
  const value = figure?.[name]
  return typeof value === 'number' ? value : undefined
}

const K100 = 100_000
const M1 = 1_000_000

export const TARGETS: readonly Target[] = [
  { part: 'e2e', measure: '100k initial sync, file persistence, vs floor', n: K100, unit: 'x', limit: 1.5, value: field('initial-sync', REPLICA, K100, 'ratio_to_floor') },
  { part: 'e2e', measure: '100k initial sync, memoryPersistence, vs floor', n: K100, unit: 'x', limit: 1.3, value: field('initial-sync', REPLICA_MEMORY, K100, 'ratio_to_floor') },
  { part: 'e2e', measure: '1M initial sync, file persistence, vs floor', n: M1, unit: 'x', limit: 2.0, value: field('initial-sync', REPLICA, M1, 'ratio_to_floor') },
  { part: 'e2e', measure: 'last 10% of pages vs first 10% (median page), 1M sync, file', n: M1, unit: 'x', limit: 1.5, value: field('initial-sync', REPLICA, M1, 'last_to_first') },
  { part: 'e2e', measure: 'longest event-loop block during the 1M sync, file', n: M1, unit: 'ms', limit: 50, value: field('initial-sync', REPLICA, M1, 'max_blocked_ms') },
  { part: 'e2e', measure: 'longest event-loop block after a live update at 1M held (its save included)', n: M1, unit: 'ms', limit: 50, value: field('live-update', REPLICA, M1, 'max_blocked_ms') },
  { part: 'e2e', measure: 'hydration from file, 100k', n: K100, unit: 'ms', limit: 250, strict: true, value: field('hydration', REPLICA, K100, 'ms') },
  { part: 'e2e', measure: 'hydration from file, 1M', n: M1, unit: 'ms', limit: 2500, strict: true, value: field('hydration', REPLICA, M1, 'ms') },
  { part: 'core', measure: 'one-row dispatch into 100k (core, median)', n: K100, unit: 'ms', limit: 0.05, strict: true, value: field('core-one-row', 'redux-replica pageApplied', K100, 'ms') },
  { part: 'browser', measure: 'browser: 100k into IndexedDB + Redux, vs in-browser floor', n: K100, unit: 'x', limit: 1.15, value: field('browser-sync', BROWSER_IDB, K100, 'ratio_to_floor') },
  { part: 'browser', measure: 'browser: longest main-thread task during the 100k sync', n: K100, unit: 'ms', limit: 50, longTask: true, value: field('browser-sync', BROWSER_IDB, K100, 'longest_task_ms') },
  { part: 'browser', measure: 'browser: longest task during hydration of 100k', n: K100, unit: 'ms', limit: 50, longTask: true, value: field('browser-hydration', BROWSER_IDB, K100, 'longest_task_ms') },
  { part: 'browser', measure: 'browser: longest task after a live change at 100k (its save included)', n: K100, unit: 'ms', limit: 50, longTask: true, value: field('browser-live', BROWSER_IDB, K100, 'longest_task_ms') },
  { part: 'browser', measure: 'browser: hydration of 100k from IndexedDB', n: K100, unit: 'ms', limit: 250, strict: true, value: field('browser-hydration', BROWSER_IDB, K100, 'ms') },
]

/** What to add to the command line to measure a target this run did not. */
function missing(target: Target, args: BenchArgs): string {
  if (!args.parts.has(target.part)) return `--${target.part}`
  if (!args.sizes.includes(target.n)) return target.n === M1 ? '--million' : `--sizes with ${target.n}`
  return 'failed: see above'
}

/** Prints the targets table and emits one `{ bench: 'target' }` line per target. */
export function reportTargets(args: BenchArgs, figures: readonly Figure[] = emittedFigures()): void {
  const rows: string[][] = []
  for (const target of TARGETS) {
    const value = target.value(figures)
    const met = value === undefined ? null : target.strict ? value < target.limit : value <= target.limit
    const limit = `${target.strict ? '<' : '<='} ${target.limit}${target.unit === 'x' ? 'x' : ' ms'}`
    const shown = value === undefined ? `not measured (${missing(target, args)})`
      : target.longTask && value === 0 ? '< 50 ms (none reported)'
      : target.unit === 'x' ? `${fmt(value, 2)}x` : `${fmt(value, value < 1 ? 3 : 0)} ms`
    rows.push([target.measure, limit, shown, met === null ? '-' : met ? 'met' : 'MISSED'])
    emit({ bench: 'target', contender: target.measure, n: target.n, ms: null, rows_per_s: null, ratio_to_floor: null, heap_mb: null, target: limit, value: value ?? null, met })
  }
  console.log(table('Targets (issue 13; one-row dispatch: issue 2), this run', ['measure', 'target', 'measured', ''], rows))
}
