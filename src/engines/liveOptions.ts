import type { SerializedError } from '@reduxjs/toolkit'
import type { Filter } from '../core/protocol'
import type { BackoffPolicy } from '../runtime/backoff'
import { DEFAULT_DIGEST_INTERVAL } from './sync/digest'
import type { ReplicaEvent } from '../runtime/events'
import { createFocusManager } from '../runtime/focusManager'
import type { FocusManager } from '../runtime/focusManager'
import { createOnlineManager } from '../runtime/onlineManager'
import type { OnlineManager } from '../runtime/onlineManager'
import { defaultTimers } from '../runtime/timers'
import type { Timers } from '../runtime/timers'

export interface RetryOptions {
  /**
   * Retries of a transient failure (5xx, 408, 429, timeout, malformed page) before the status turns
   * `error`. The count starts again after each page that arrives. Default 3.
   * @example retry: { retries: 5 }
   */
  retries?: number
  /**
   * Ceiling of the first backoff, in ms; it doubles per retry. Default 1000.
   * @example retry: { baseDelay: 500 }
   */
  baseDelay?: number
  /**
   * Largest wait between retries, and between probes while offline, in ms. Default 30,000.
   * @example retry: { maxDelay: 60_000 }
   */
  maxDelay?: number
  /**
   * The source of jitter, in [0, 1). Default `Math.random`; pin it in tests.
   * @example retry: { random: () => 0.5 }
   */
  random?: () => number
}

/** What `onUnauthorized` is told. */
export interface UnauthorizedInfo {
  collection: string
  filter: Filter
  error: SerializedError
}

/** Options of live sync, part of `createReplica`'s options. */
export interface LiveSyncOptions {
  /**
   * Once caught up, pull again every this many ms. `0` turns polling off (reconnect and focus still
   * pull). A subscription may ask for its own in the subscribe action; with several subscribers of
   * one scope, the shortest wins. Default 30,000.
   * @example createReplica({ ..., pollingInterval: 10_000 })
   * @example dispatch(replica.actions.subscribe({ collection: 'note', filter, pollingInterval: 5_000 }))
   */
  pollingInterval?: number
  /**
   * How transient failures are retried: exponential backoff with full jitter, capped.
   * @example createReplica({ ..., retry: { retries: 5, baseDelay: 500, maxDelay: 60_000 } })
   */
  retry?: RetryOptions
  /**
   * A request that has not answered after this many ms is aborted and counts as a transient
   * failure. `0` turns it off. Default 30,000.
   * @example createReplica({ ..., timeout: 10_000 })
   */
  timeout?: number
  /**
   * Pull requests in flight at once, across all subscriptions. Default 4.
   * @example createReplica({ ..., maxConcurrentPulls: 2 })
   */
  maxConcurrentPulls?: number
  /**
   * Whether the network is up. Default: one per replica, fed by the browser's online/offline
   * events and by the outcome of every request.
   * @example createReplica({ ..., onlineManager: createOnlineManager({ setEventListener: netInfoListener }) })
   */
  onlineManager?: OnlineManager
  /**
   * Whether the app is in front of the user; coming back into focus pulls at once. Default: one
   * per replica, fed by the browser's `visibilitychange`.
   * @example createReplica({ ..., focusManager: createFocusManager({ setEventListener: appStateListener }) })
   */
  focusManager?: FocusManager
  /**
   * Called on a 401. Refresh credentials here (the transport's `headers` function reads them per
   * request); the request is then retried once. Return `false` to give up at once. Without this
   * hook, a 401 puts the subscription in `error`.
   * @example
   * createReplica({
   *   transport: httpTransport({ url, headers: () => ({ authorization: `Bearer ${token}` }) }),
   *   onUnauthorized: async () => { token = await refreshToken() },
   * })
   */
  onUnauthorized?: (info: UnauthorizedInfo) => boolean | void | Promise<boolean | void>
  /**
   * Hears every {@link ReplicaEvent}: for logging and devtools. Exceptions it throws are logged and
   * otherwise ignored.
   * @example createReplica({ ..., onEvent: (event) => console.debug('[replica]', event) })
   */
  onEvent?: (event: ReplicaEvent) => void
  /**
   * After a catch-up, at most once per this many ms per subscription, compare the server's digest
   * of the subscription (count + hash of ids and versions) with the rows held, and repair any
   * divergence the ordered stream cannot see (docs/live-sync.md, "Digest check"). Never while
   * offline; needs a transport with `digest` (httpTransport). `0` turns it off. Default 600,000
   * (10 minutes).
   * @example createReplica({ ..., digestInterval: 60 * 60_000 })
   */
  digestInterval?: number
  /**
   * The timers the loops use. Default: the global `setTimeout`/`clearTimeout`, read at call time.
   * @example createReplica({ ..., timers: { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout } })
   */
  timers?: Timers
}

/** Live-sync options with every default filled in. */
export interface LiveSyncConfig {
  pollingInterval: number
  retries: number
  backoff: BackoffPolicy
  timeout: number
  maxConcurrentPulls: number
  onlineManager: OnlineManager
  focusManager: FocusManager
  onUnauthorized: LiveSyncOptions['onUnauthorized']
  onEvent: LiveSyncOptions['onEvent']
  timers: Timers
  digestInterval: number
}

export function resolveLiveSyncOptions(options: LiveSyncOptions): LiveSyncConfig {
  const nonNegative = (name: string, value: number) => {
    if (!(value >= 0 && Number.isFinite(value))) throw new TypeError(`${name} must be a non-negative number of ms, got ${value}`)
    return value
  }
  const retry = options.retry ?? {}
  const retries = retry.retries ?? 3
  if (!(Number.isInteger(retries) && retries >= 0)) throw new TypeError(`retry.retries must be a non-negative integer, got ${retries}`)
  const maxConcurrentPulls = options.maxConcurrentPulls ?? 4
  if (!(Number.isInteger(maxConcurrentPulls) && maxConcurrentPulls >= 1)) {
    throw new TypeError(`maxConcurrentPulls must be a positive integer, got ${maxConcurrentPulls}`)
  }
  return {
    pollingInterval: nonNegative('pollingInterval', options.pollingInterval ?? 30_000),
    retries,
    backoff: {
      baseDelay: nonNegative('retry.baseDelay', retry.baseDelay ?? 1_000),
      maxDelay: nonNegative('retry.maxDelay', retry.maxDelay ?? 30_000),
      random: retry.random ?? Math.random,
    },
    timeout: nonNegative('timeout', options.timeout ?? 30_000),
    maxConcurrentPulls,
    onlineManager: options.onlineManager ?? createOnlineManager(),
    focusManager: options.focusManager ?? createFocusManager(),
    onUnauthorized: options.onUnauthorized,
    onEvent: options.onEvent,
    timers: options.timers ?? defaultTimers,
    digestInterval: nonNegative('digestInterval', options.digestInterval ?? DEFAULT_DIGEST_INTERVAL),
  }
}
