import { parseArgs } from 'node:util'
import fc from 'fast-check'
import { SYSTEM_POSTGRES_URL, usePostgres } from '../services/postgres'
import type { BackendKind } from './property'

// npm run fuzz -- --runs 500 [--seed 42] [--pg] [--steps 40] [--no-known] [--no-divergence]
// Long runs of the convergence property (docs/testing.md). Prints the seed first, so any run can
// be repeated; a failure prints the shrunk schedule and the seed and path to replay it.
const { values } = parseArgs({
  allowNegative: true,
  options: {
    runs: { type: 'string', default: '100' },
    seed: { type: 'string' },
    pg: { type: 'boolean', default: false },
    steps: { type: 'string', default: '24' },
    // --no-known: leave out the schedules that once failed (npm test runs them anyway).
    known: { type: 'boolean', default: true },
    // --no-divergence: no divergences on purpose (rows deleted behind the stream's back).
    divergence: { type: 'boolean', default: true },
  },
})
const kind: BackendKind = values.pg ? 'postgres' : 'sqlite'
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed)
const runs = Number(values.runs)
const steps = Number(values.steps)
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed) || !Number.isInteger(steps) || steps < 1) {
  console.error('usage: npm run fuzz -- --runs N [--seed S] [--pg] [--steps MAX]')
  process.exit(2)
}

// PostgreSQL as the test suite finds it: DATABASE_URL, the system's, or an embedded one.
const postgres = values.pg ? await usePostgres(process.env.DATABASE_URL ?? SYSTEM_POSTGRES_URL) : undefined
if (postgres) process.env.DATABASE_URL = postgres.url
const { convergenceProperty, runParameters, tally } = await import('./property')

console.log(`fuzzing ${runs} schedules of up to ${steps} steps on ${kind}, seed ${seed}${values.divergence ? '' : ', no divergence on purpose'}`)
const started = Date.now()
const details = await fc.check(convergenceProperty(kind, steps, values.divergence), runParameters(seed, runs, values.known))
const seconds = ((Date.now() - started) / 1000).toFixed(1)
console.log(`${tally.schedules} schedules, ${tally.steps} steps, ${tally.evictions} scopes evicted on ${kind} in ${seconds} s (shrinking included)`)
await postgres?.stop()
if (details.failed) {
  console.error(fc.defaultReportMessage(details))
  console.error(details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance))
  process.exit(1)
}
console.log(`all ${details.numRuns} schedules converged`)
