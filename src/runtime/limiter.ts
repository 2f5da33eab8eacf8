/**
 * Caps how many pull requests run at once across all subscriptions, so fifty components mounting
 * together do not open fifty requests (browsers queue past six per host anyway, and the server
 * sees a storm). Waiters are served first come, first served; an aborted waiter leaves the queue.
 */
export interface Limiter {
  run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T>
  /** Requests running now (for tests and devtools). */
  readonly active: number
}

export function createLimiter(max: number): Limiter {
  if (!(Number.isInteger(max) && max >= 1)) throw new TypeError(`maxConcurrentPulls must be a positive integer, got ${max}`)
  let active = 0
  const queue: Array<() => void> = []

  const acquire = (signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      if (active < max) {
        active++
        return resolve()
      }
      const grant = () => {
        signal.removeEventListener('abort', onAbort)
        active++
        resolve()
      }
      const onAbort = () => {
        queue.splice(queue.indexOf(grant), 1)
        reject(signal.reason)
      }
      queue.push(grant)
      signal.addEventListener('abort', onAbort, { once: true })
    })

  const release = () => {
    active--
    queue.shift()?.()
  }

  return {
    async run(task, signal) {
      await acquire(signal)
      try {
        return await task()
      } finally {
        release()
      }
    },
    get active() {
      return active
    },
  }
}
