import type { BackoffPolicy } from './backoff'
import { createConnectivity } from './connectivity'
import type { Connectivity } from './connectivity'
import type { ReplicaEvent } from './events'
import type { FocusManager } from './focusManager'
import { createLimiter } from './limiter'
import type { Limiter } from './limiter'
import type { OnlineManager } from './onlineManager'
import type { Timers } from './timers'

/** Something that makes idle loops look again: the network came back, or the app came into focus. */
export type Wake = { trigger: 'reconnect'; outageMs: number } | { trigger: 'focus' }

/**
 * What the sync engine and the write engine of one store share: one offline gate (so one probe
 * schedule, however many loops wait), one request limiter, and the one place that listens to the
 * online and focus managers and fans their news out, in the manner of TanStack Query's
 * `QueryClient.mount`.
 */
export interface LiveRuntime {
  connectivity: Connectivity
  limiter: Limiter
  /** Calls `listener` on each reconnect and focus; returns the unsubscribe function. */
  onWake(listener: (wake: Wake) => void): () => void
  /** Stops listening to the managers and cancels the probe timer. */
  dispose(): void
}

export interface LiveRuntimeOptions {
  onlineManager: OnlineManager
  focusManager: FocusManager
  timers: Timers
  backoff: BackoffPolicy
  maxConcurrentPulls: number
  now: () => number
  emit: (event: ReplicaEvent) => void
}

export function createLiveRuntime(options: LiveRuntimeOptions): LiveRuntime {
  const { emit } = options
  const connectivity = createConnectivity({
    onlineManager: options.onlineManager,
    timers: options.timers,
    backoff: options.backoff,
    onProbe: (key) => emit({ type: 'probe', key }),
  })
  const listeners = new Set<(wake: Wake) => void>()
  const fanOut = (wake: Wake) => {
    for (const listener of [...listeners]) listener(wake)
  }
  let offlineSince: number | undefined
  const stops = [
    options.onlineManager.subscribe((online) => {
      // The gate first: waiters released now see the news before the loops are rung.
      connectivity.onlineChanged(online)
      emit({ type: 'connectivity', online })
      if (!online) {
        offlineSince ??= options.now()
        return
      }
      const outageMs = offlineSince === undefined ? 0 : options.now() - offlineSince
      offlineSince = undefined
      fanOut({ trigger: 'reconnect', outageMs })
    }),
    options.focusManager.subscribe((focused) => {
      if (!focused) return
      fanOut({ trigger: 'focus' })
      connectivity.probeNow()
    }),
  ]
  return {
    connectivity,
    limiter: createLimiter(options.maxConcurrentPulls),
    onWake(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    dispose() {
      for (const stop of stops.splice(0)) stop()
      listeners.clear()
      connectivity.dispose()
    },
  }
}
