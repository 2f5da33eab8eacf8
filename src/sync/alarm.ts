import type { PullTrigger } from './events'
import type { Timers } from './timers'

/**
 * The wait of a caught-up subscription until its next pull: the polling interval elapses, or
 * something rings it (focus, reconnect). A ring while nobody waits is dropped on purpose: the pull
 * under way started after the event, so it already sees what the event would have fetched.
 */
export interface Alarm {
  /** Waits `ms` (forever when 0) or until rung; resolves with what ended the wait, rejects on abort. */
  wait(ms: number, signal: AbortSignal): Promise<PullTrigger>
  ring(trigger: PullTrigger): void
}

export function createAlarm(timers: Timers): Alarm {
  let ringing: ((trigger: PullTrigger) => void) | undefined
  return {
    wait(ms, signal) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        let handle: unknown
        const finish = (trigger: PullTrigger) => {
          if (handle !== undefined) timers.clearTimeout(handle)
          signal.removeEventListener('abort', onAbort)
          ringing = undefined
          resolve(trigger)
        }
        const onAbort = () => {
          if (handle !== undefined) timers.clearTimeout(handle)
          ringing = undefined
          reject(signal.reason)
        }
        if (ms > 0) handle = timers.setTimeout(() => finish('poll'), ms)
        ringing = finish
        signal.addEventListener('abort', onAbort, { once: true })
      })
    },
    ring(trigger) {
      ringing?.(trigger)
    },
  }
}
