import { backoff } from './backoff'
import type { BackoffPolicy } from './backoff'
import type { OnlineManager } from './onlineManager'
import type { Timers } from './timers'

/**
 * The gate subscriptions wait at while offline, shared by all of them.
 *
 * Going online (a platform event, or any HTTP answer) opens the gate for everyone at once. Since
 * the platform's word cannot be trusted either way, the gate also lets ONE waiter through now and
 * then to probe the network, with exponential backoff and jitter capped at `maxDelay`: however many
 * subscriptions wait, an offline app sends at most one request per probe, never a storm.
 */
export interface Connectivity {
  isOnline(): boolean
  /** A request failed below HTTP: evidence of being offline. */
  reportNetworkError(): void
  /** A request got an HTTP answer (any status): evidence of being online. */
  reportResponse(): void
  /**
   * Resolves when online, or when this waiter is chosen to probe (`'probe'`); rejects on abort.
   * Resolves at once when already online.
   */
  whenOnline(key: string, signal: AbortSignal): Promise<'online' | 'probe'>
  /** Lets one waiter probe now (the app came into focus: a good moment to look). */
  probeNow(): void
  /**
   * The online manager changed its mind. The gate does not subscribe to it itself: the store's
   * one subscription (./liveRuntime.ts) tells it first, then the engines.
   */
  onlineChanged(online: boolean): void
  dispose(): void
}

interface Waiter {
  key: string
  release(how: 'online' | 'probe'): void
}

/** The offline gate. (Long because it is a factory: its length is the short methods of the object it returns, closed over one shared state; splitting it would pass that state around instead.) */
export function createConnectivity(options: {
  onlineManager: OnlineManager
  timers: Timers
  backoff: BackoffPolicy
  onProbe?: (key: string) => void
}): Connectivity {
  const { onlineManager, timers } = options
  const waiters: Waiter[] = []
  let probeTimer: unknown
  let probeAttempt = 0

  const cancelProbe = () => {
    if (probeTimer !== undefined) timers.clearTimeout(probeTimer)
    probeTimer = undefined
  }
  const releaseOne = () => {
    const waiter = waiters.shift()
    if (!waiter) return
    options.onProbe?.(waiter.key)
    waiter.release('probe')
  }
  const scheduleProbe = () => {
    if (probeTimer !== undefined || waiters.length === 0 || onlineManager.isOnline()) return
    const { delay } = backoff(probeAttempt++, options.backoff)
    probeTimer = timers.setTimeout(() => {
      probeTimer = undefined
      releaseOne()
      // The next probe is scheduled now, not when this one fails: a probe that never reports
      // (its subscription was dropped) must not leave the others waiting forever.
      scheduleProbe()
    }, delay)
  }


  return {
    isOnline: () => onlineManager.isOnline(),
    reportNetworkError: () => onlineManager.setOnline(false),
    reportResponse: () => onlineManager.setOnline(true),
    whenOnline(key, signal) {
      if (signal.aborted) return Promise.reject(signal.reason)
      if (onlineManager.isOnline()) return Promise.resolve('online')
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          const index = waiters.indexOf(waiter)
          if (index >= 0) waiters.splice(index, 1)
          reject(signal.reason)
        }
        const waiter: Waiter = {
          key,
          release(how) {
            signal.removeEventListener('abort', onAbort)
            resolve(how)
          },
        }
        waiters.push(waiter)
        signal.addEventListener('abort', onAbort, { once: true })
        scheduleProbe()
      })
    },
    probeNow() {
      if (!onlineManager.isOnline()) releaseOne()
    },
    onlineChanged(online) {
      if (!online) return scheduleProbe()
      cancelProbe()
      probeAttempt = 0
      for (const waiter of waiters.splice(0)) waiter.release('online')
    },
    dispose() {
      cancelProbe()
    },
  }
}
