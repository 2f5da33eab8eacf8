import { ReplicaError } from '../core/errors'
import type { Connectivity } from './connectivity'
import type { Limiter } from './limiter'
import { withTimeout } from './timeout'
import type { Timers } from './timers'
import type { Transport } from '../core/pullWire'

/** What every request gets: a limiter slot (pulls and digests), a timeout, a connectivity report. */
export interface RequestGuards {
  limiter?: Limiter
  connectivity: Connectivity
  timers: Timers
  timeout: number
  /** Called as the request leaves (after its limiter slot is granted). */
  onRequest?: () => void
}

/**
 * Runs one request under the guards. An HTTP answer of any status means the network works, and is
 * reported so; network errors are left to the retryer (./retryer.ts), which decides what they mean.
 */
export function guardRequest<T>(guards: RequestGuards, signal: AbortSignal, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timed = () =>
    withTimeout(guards.timers, guards.timeout, signal, async (timedSignal) => {
      guards.onRequest?.()
      try {
        const answer = await request(timedSignal)
        guards.connectivity.reportResponse()
        return answer
      } catch (error) {
        if (error instanceof ReplicaError && error.status !== undefined) guards.connectivity.reportResponse()
        throw error
      }
    })
  return guards.limiter ? guards.limiter.run(timed, signal) : timed()
}

/** A transport whose pulls run under the guards. */
export function guardTransport(transport: Transport, guards: RequestGuards): Transport {
  return { pull: (request) => guardRequest(guards, request.signal, (signal) => transport.pull({ ...request, signal })) }
}
