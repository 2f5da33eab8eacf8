/**
 * `npm run bench`: every benchmark, each figure the median of fresh child processes.
 * Prints tables for people and one JSON object per line for machines (also kept in
 * bench/results/latest.jsonl). `npm run bench -- --help` lists the flags.
 */
import { parseArgs } from './lib/args'
import { startResults } from './lib/output'
import { runCore } from './core/index'

const args = parseArgs(process.argv.slice(2))
startResults()
console.log(`redux-replica benchmarks: sizes ${args.sizes.join(', ')}; ${args.runs} fresh processes per figure; node ${process.version}`)
if (args.parts.has('core')) await runCore(args)
