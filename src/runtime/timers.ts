/**
 * The timers the sync loops use, kept in the engine's closure and never in state. The default reads
 * the global timers at call time, so test runners that fake them (vitest, jest) just work; an app
 * or a test may also pass its own scheduler.
 *
 * @example
 * createReplica({ collections, transport, timers: myScheduler })
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const defaultTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/** Resolves after `ms`; rejects with the signal's reason as soon as it aborts, clearing the timer. */
export function sleep(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      timers.clearTimeout(handle)
      reject(signal.reason)
    }
    const handle = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
