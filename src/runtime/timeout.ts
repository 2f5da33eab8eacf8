import { ReplicaError } from '../core/errors'
import type { Timers } from './timers'

/**
 * Runs `task` with a signal that aborts when `parent` does or after `ms`, whichever comes first.
 * A request that hangs (lie-fi, a captive portal, a stuck proxy) thus ends as a `timeout`
 * ReplicaError that the retry policy can act on. `ms` of 0 or Infinity means no timeout.
 */
export async function withTimeout<T>(timers: Timers, ms: number, parent: AbortSignal, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (!(ms > 0 && Number.isFinite(ms))) return task(parent)
  parent.throwIfAborted()
  const controller = new AbortController()
  let timedOut = false
  const onAbort = () => controller.abort(parent.reason)
  parent.addEventListener('abort', onAbort, { once: true })
  const handle = timers.setTimeout(() => {
    timedOut = true
    controller.abort(new ReplicaError('timeout', `Request timed out after ${ms} ms`))
  }, ms)
  try {
    return await task(controller.signal)
  } catch (error) {
    if (timedOut && !parent.aborted) throw new ReplicaError('timeout', `Request timed out after ${ms} ms`, { cause: error })
    throw error
  } finally {
    timers.clearTimeout(handle)
    parent.removeEventListener('abort', onAbort)
  }
}
