import { runChild } from './child'
import { median } from './stats'

type Options = Parameters<typeof runChild>[2]

/** Per-field median of numeric results; other fields from the first result. */
export function medianFields<R extends Record<string, unknown>>(results: readonly R[]): R {
  const out: Record<string, unknown> = { ...results[0] }
  for (const [field, value] of Object.entries(out)) {
    if (typeof value === 'number') out[field] = median(results.map((r) => r[field] as number))
  }
  out.runs = results.length
  return out as R
}

/**
 * Runs a task `runs` times, each in a fresh process, one after another (never in parallel: the
 * machine has two cores), and returns the per-field median of the numeric results.
 */
export async function medianOf<R extends Record<string, unknown>>(task: string, args: Record<string, unknown>, runs: number, options?: Options): Promise<R> {
  const results: R[] = []
  for (let i = 0; i < runs; i++) results.push(await runChild<R>(task, args, options))
  return medianFields(results)
}

export interface Contender {
  name: string
  task: string
  args: Record<string, unknown>
  options?: Options
}

/**
 * Runs every contender once per round, round after round, and keeps each one's per-field median:
 * background load on a shared machine then hits all contenders alike, not whichever ran during it.
 * A contender that fails is reported (once) and left out of later rounds.
 */
export async function interleaved(contenders: readonly Contender[], runs: number): Promise<Map<string, Record<string, unknown>>> {
  const results = new Map<string, Record<string, unknown>[]>(contenders.map((c) => [c.name, []]))
  const failed = new Set<string>()
  for (let round = 0; round < runs; round++) {
    for (const c of contenders) {
      if (failed.has(c.name)) continue
      try {
        results.get(c.name)?.push(await runChild(c.task, c.args, c.options))
      } catch (error) {
        failed.add(c.name)
        console.error(`${c.name} could not run: ${(error as Error).message.slice(0, 800)}`)
      }
    }
  }
  const out = new Map<string, Record<string, unknown>>()
  for (const [name, list] of results) if (list.length > 0 && !failed.has(name)) out.set(name, medianFields(list))
  return out
}
