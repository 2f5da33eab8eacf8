/** `scheduler.yield()` where the browser has it (Chromium 129+): the task resumes ahead of others queued since. */
interface SchedulerWithYield {
  yield(): Promise<void>
}

/**
 * Resolves in a later task, after whatever the event loop has waiting (input, rendering, timers,
 * I/O): a long piece of work that awaits it between slices never holds the thread for longer than
 * a slice. `scheduler.yield` where it exists; else a MessageChannel message, which browsers do not
 * clamp as they do nested `setTimeout(0)`s and which test runners' fake timers leave alone (Node has
 * it too); else `setTimeout(0)`.
 *
 * @example
 * for (const slice of slices) { work(slice); await yieldToEventLoop() }
 */
export function yieldToEventLoop(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: Partial<SchedulerWithYield> }).scheduler
  if (typeof scheduler?.yield === 'function') return scheduler.yield()
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      // A channel per call: an open port keeps a Node process alive, so each one is closed once used.
      const { port1, port2 } = new MessageChannel()
      port1.onmessage = () => {
        port1.close()
        resolve()
      }
      port2.postMessage(undefined)
    })
  }
  return new Promise((resolve) => setTimeout(resolve, 0))
}

/**
 * Below this many rows, hydration does not yield at all (its tasks are short anyway): a small
 * database opens as it always did, within the microtasks of its read, which tests on fake timers
 * rely on.
 */
export const ROWS_WORTH_YIELDING = 10_000

/** How long a slice of hydration may run before it yields: well under the 50 ms of a "long task". */
export const SLICE_BUDGET_MS = 8

/**
 * Runs `steps` to its end at once, in the calling task: the same work as {@link runInSlices}, for
 * callers that do not yield.
 *
 * @example
 * const state = runToEnd(entityStateSteps(rows, keyOf))
 */
export function runToEnd<R>(steps: Generator<void, R>): R {
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value
}

/**
 * Runs `steps` to its end, yielding to the event loop whenever a slice has run for `budgetMs`.
 * Steps should be short (a millisecond or so): a slice ends at the first step past the budget.
 *
 * @example
 * const state = await runInSlices(entityStateSteps(rows, keyOf))
 */
export async function runInSlices<R>(steps: Generator<void, R>, budgetMs = SLICE_BUDGET_MS): Promise<R> {
  let sliceStart = performance.now()
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
    if (performance.now() - sliceStart >= budgetMs) {
      await yieldToEventLoop()
      sliceStart = performance.now()
    }
  }
}
