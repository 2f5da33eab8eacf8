import { median } from './stats'

/**
 * Times `step(i)` for i = 0..samples-1 after `warmUp` calls with negative i (JIT warm-up),
 * returning the median in ms.
 *
 * @example const ms = timeEach((i) => store.dispatch(oneRow(i)), 101)
 */
export function timeEach(step: (i: number) => void, samples = 101, warmUp = 10): number {
  for (let i = 1; i <= warmUp; i++) step(-i)
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    const t = performance.now()
    step(i)
    times.push(performance.now() - t)
  }
  return median(times)
}
