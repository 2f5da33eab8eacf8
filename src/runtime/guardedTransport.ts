import { ReplicaError } from '../core/errors'
import type { Connectivity } from './connectivity'
import type { Limiter } from './limiter'
import { withTimeout } from './timeout'
import type { Timers } from './timers'
import type { Transport } from '../core/pullWire'

/**
 * Wraps a transport with what every request needs: a slot from the shared limiter, a timeout, and
 * a report to the connectivity gate (an HTTP answer of any status means the network works).
 * Network errors are reported by the loop, which also decides what to do about them.
 */
export function guardTransport(
  transport: Transport,
  guards: { limiter: Limiter; connectivity: Connectivity; timers: Timers; timeout: number; onRequest?: () => void },
): Transport {
  return {
    pull: (request) =>
      guards.limiter.run(
        () =>
          withTimeout(guards.timers, guards.timeout, request.signal, async (signal) => {
            guards.onRequest?.()
            try {
              const page = await transport.pull({ ...request, signal })
              guards.connectivity.reportResponse()
              return page
            } catch (error) {
              if (error instanceof ReplicaError && error.status !== undefined) guards.connectivity.reportResponse()
              throw error
            }
          }),
        request.signal,
      ),
  }
}
