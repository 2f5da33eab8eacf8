import { runChild } from './child'
import { median } from './stats'

/**
 * Runs a task `runs` times, each in a fresh process, one after another (never in parallel: the
 * machine has two cores), and returns the per-field median of the numeric results.
 */
export async function medianOf<R extends Record<string, unknown>>(task: string, args: Record<string, unknown>, runs: number, options?: Parameters<typeof runChild>[2]): Promise<R> {
  const results: R[] = []
  for (let i = 0; i < runs; i++) results.push(await runChild<R>(task, args, options))
  const out: Record<string, unknown> = { ...results[0] }
  for (const [field, value] of Object.entries(out)) {
    if (typeof value === 'number') out[field] = median(results.map((r) => r[field] as number))
  }
  out.runs = runs
  return out as R
}
