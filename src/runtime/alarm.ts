import type { PullTrigger } from './events'
import type { Timers } from './timers'

/**
 * The wait of a caught-up subscription until its next pull: the polling interval elapses, or
 * something rings it (focus, reconnect, a live poke). A focus while nobody waits (a pull is under way) is kept
 * for the next wait, which then ends at once: the request under way may have left before the
 * user came back, and would miss what they came back to. The next request sent forgets it.
 */
export interface Alarm {
  /** Waits `ms` (forever when 0) or until rung; resolves with what ended the wait, rejects on abort. */
  wait(ms: number, signal: AbortSignal): Promise<PullTrigger>
  ring(trigger: PullTrigger): void
  /** Forgets a kept ring: a request is leaving now, and sees what the ring was about. */
  reset(): void
}

export function createAlarm(timers: Timers): Alarm {
  let ringing: ((trigger: PullTrigger) => void) | undefined
  let missed: PullTrigger | undefined
  return {
    wait(ms, signal) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        if (missed !== undefined) {
          resolve(missed)
          missed = undefined
          return
        }
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
      if (ringing) ringing(trigger)
      // A reconnect is not kept: a loop that is not waiting is pulling, so it is on the network now.
      // A focus, a poke or the channel opening is: the request under way may have left before
      // the change it announces. Kept once, however often rung: one pull in flight, one queued.
      else if (trigger === 'focus' || trigger === 'poke' || trigger === 'live') missed = trigger
    },
    reset() {
      missed = undefined
    },
  }
}
