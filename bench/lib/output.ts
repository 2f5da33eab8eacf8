import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** One figure, as printed for machines (one JSON object per line). */
export interface Figure {
  bench: string
  contender: string
  n: number
  ms: number | null
  rows_per_s: number | null
  ratio_to_floor: number | null
  heap_mb: number | null
  /** Anything else worth keeping: runs, a note (`capped`), split times. */
  [extra: string]: unknown
}

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url))
const JSONL = `${RESULTS_DIR}latest.jsonl`

const emitted: Figure[] = []

export function startResults(): void {
  mkdirSync(RESULTS_DIR, { recursive: true })
  writeFileSync(JSONL, '')
}

/** Prints the figure as one JSON line and appends it to bench/results/latest.jsonl. */
export function emit(figure: Figure): void {
  emitted.push(figure)
  const line = JSON.stringify(figure)
  console.log(line)
  appendFileSync(JSONL, `${line}\n`)
}

/** Every figure emitted so far in this run (bench/targets.ts reads them). */
export function emittedFigures(): readonly Figure[] {
  return emitted
}

/** A plain-text table for people. */
export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)))
  const line = (r: string[]) => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join(' | ')} |`
  const rule = `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`
  return [`\n### ${title}\n`, line(header), rule, ...cells.slice(1).map(line), ''].join('\n')
}

export const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '-' : value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(digits)
