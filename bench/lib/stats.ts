/** Small numeric helpers shared by every benchmark. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export function sum(values: readonly number[]): number {
  let total = 0
  for (const v of values) total += v
  return total
}

/**
 * Mean and median of the first and of the last `fraction` of the values (per-page times). The
 * mean includes the GC pauses that land on those pages; the median is the steady per-page cost.
 */
export function headTail(values: readonly number[], fraction = 0.1) {
  const n = Math.max(1, Math.floor(values.length * fraction))
  const head = values.slice(0, n)
  const tail = values.slice(-n)
  return { headMean: sum(head) / n, tailMean: sum(tail) / n, headMedian: median(head), tailMedian: median(tail) }
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

export const mb = (bytes: number) => round(bytes / 1024 / 1024, 1)

/** Forces a GC when node runs with --expose-gc, so one measurement does not pay for the last one's garbage. */
export function gc(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}
