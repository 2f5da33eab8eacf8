/**
 * `npm run bench`: every benchmark, each figure the median of fresh child processes.
 * Prints tables for people and one JSON object per line for machines (also kept in
 * bench/results/latest.jsonl), and draws bench/results/throughput.svg.
 * `npm run bench -- --help` lists the flags.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from './lib/args'
import { throughputChart } from './lib/chart'
import { RESULTS_DIR, startResults } from './lib/output'
import { runCore } from './core/index'
import { runE2E } from './e2e/index'
import { reportTargets } from './targets'

const args = parseArgs(process.argv.slice(2))
const started = performance.now()
startResults()
console.log(`redux-replica benchmarks: sizes ${args.sizes.join(', ')}; ${args.runs} fresh processes per figure; node ${process.version}`)
if (args.parts.has('core')) await runCore(args)
if (args.parts.has('e2e')) {
  const figures = await runE2E(args)
  // A `--targets` run leaves out the comparisons the chart is for.
  if (!args.targetsOnly) {
    const svg = throughputChart(figures, 'Initial sync from the reference server over loopback: rows/s')
    writeFileSync(`${RESULTS_DIR}throughput.svg`, svg)
    console.log(`\nchart: bench/results/throughput.svg`)
  }
}
if (args.parts.has('browser')) await (await import('./browser/index')).runBrowser(args)
if (args.parts.has('experiments')) await (await import('./e2e/experiments')).runExperiments(args)
if (args.parts.has('server')) {
  // Owned by the server's authors: its exported runner, at the largest size up to 100k.
  const { runServerBench } = await import('./server')
  const rows = Math.max(...args.sizes.filter((n) => n <= 100_000), args.sizes[0] as number)
  await runServerBench({ rows, runs: Math.max(args.runs, 5) })
}
if (args.parts.has('persistence')) {
  // Owned by the persistence authors: a command-line script that spawns its own processes.
  const script = fileURLToPath(new URL('./persistence.ts', import.meta.url))
  spawnSync(process.execPath, ['--import', 'tsx', script, `--runs=${args.runs}`], { stdio: 'inherit' })
}
if (args.parts.has('storage')) {
  // Owned by the storage log's authors: a command-line script that spawns its own processes.
  const script = fileURLToPath(new URL('./storageLog.ts', import.meta.url))
  spawnSync(process.execPath, ['--import', 'tsx', script, `--runs=${args.runs}`, `--sizes=${args.sizes.join(',')}`], { stdio: 'inherit' })
}
reportTargets(args)
console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
