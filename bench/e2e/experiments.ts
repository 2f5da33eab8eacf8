import { rmSync } from 'node:fs'
import type { BenchArgs } from '../lib/args'
import { interleaved } from '../lib/medianOf'
import { emit, fmt, table } from '../lib/output'
import { round } from '../lib/stats'
import { startServer } from './serverProcess'

/**
 * `npm run bench -- --experiments`: what two changes outside bench/ would buy, measured with
 * redux-replica's own code from bench/ (no src/ edits): saving only when the catch-up ends instead
 * of every saveInterval (1 s) during it, and pipelining the pull loop (bench/lib/prefetchTransport.ts).
 * At the largest size up to 100,000 rows; interleaved, median of fresh processes.
 */
export async function runExperiments(args: BenchArgs): Promise<void> {
  const n = Math.max(...args.sizes.filter((size) => size <= 100_000), args.sizes[0] as number)
  const server = await startServer(n)
  const { url } = server
  const file = (name: string) => `${process.env.TMPDIR ?? '/tmp'}/replica-bench-exp-${process.pid}-${name}.db`
  try {
    const results = await interleaved([
      { name: 'floor', task: 'e2e-floor', args: { url } },
      { name: 'redux-replica (as shipped)', task: 'e2e-replica', args: { url, file: file('a') } },
      { name: 'saves only when caught up', task: 'e2e-replica', args: { url, file: file('b'), saveInterval: 1e9 } },
      { name: 'pipelined pulls', task: 'e2e-replica', args: { url, file: file('c'), prefetch: true } },
      { name: 'both', task: 'e2e-replica', args: { url, file: file('d'), saveInterval: 1e9, prefetch: true } },
    ], args.runs)
    const floorMs = (results.get('floor') as { ms: number }).ms
    const rows: (string | number)[][] = []
    for (const [contender, r] of results) {
      const { ms, rows: count } = r as { ms: number; rows: number }
      emit({ bench: 'experiment', contender, n, ms: round(ms), rows_per_s: Math.round((count / ms) * 1000), ratio_to_floor: round(ms / floorMs), heap_mb: null, runs: args.runs })
      rows.push([contender, fmt(ms), fmt((count / ms) * 1000), `${fmt(ms / floorMs, 2)}x`])
    }
    console.log(table(`Experiments: initial sync of ${n.toLocaleString('en-US')} rows with file persistence`, ['variant', 'ms', 'rows/s', 'time / floor'], rows))
  } finally {
    await server.stop()
    for (const name of ['a', 'b', 'c', 'd']) rmSync(file(name), { force: true })
  }
}
