/** A main-thread task Chromium reported as long (50 ms or more), in `performance.now()` time. */
export interface LongTask {
  start: number
  duration: number
}

interface LongTaskWindow {
  __benchLongTasks: LongTask[]
  __benchLongTaskObserver: PerformanceObserver
}

/**
 * The longest task that overlapped `[from, to]`, in ms, or 0 when none was long (under 50 ms).
 * Entries reach the observer after their task; a pause lets the last ones arrive first.
 *
 * @example
 * const from = performance.now(); await work(); const longest = await longestTaskBetween(from, performance.now())
 */
export async function longestTaskBetween(from: number, to: number): Promise<{ longestMs: number; count: number }> {
  await new Promise((resolve) => setTimeout(resolve, 50))
  const page = window as unknown as LongTaskWindow
  for (const entry of page.__benchLongTaskObserver.takeRecords()) page.__benchLongTasks.push({ start: entry.startTime, duration: entry.duration })
  const overlapping = page.__benchLongTasks.filter((task) => task.start < to && task.start + task.duration > from)
  return { longestMs: Math.max(0, ...overlapping.map((task) => task.duration)), count: overlapping.length }
}
