import type { MiddlewareAPI } from '@reduxjs/toolkit'
import { ReplicaError, toSerializedError } from '../errors'
import type { ReplicaActions } from '../redux/actions'
import { openAndHydrate } from '../redux/hydrate'
import type { LocalStore } from '../store/localStore'
import type { Persistence } from '../store/persistence'
import { canonicalFilter, describeFilterProblem, scopeKey } from '../subscriptions/scope'
import type { Scope, SubscribeOptions } from '../subscriptions/scope'
import { createAlarm } from './alarm'
import type { Alarm } from './alarm'
import { createConnectivity } from './connectivity'
import { safeEmitter } from './events'
import { createLimiter } from './limiter'
import { createLiveChannelKeeper, pokeConcerns } from './liveChannel'
import type { LivePoke } from './transport'
import type { Filter } from '../protocol'
import type { LiveSyncConfig } from './liveOptions'
import { runSubscriptionLoop } from './subscriptionLoop'
import type { LoopServices } from './subscriptionLoop'
import type { Transport } from './transport'

export interface EngineConfig {
  actions: ReplicaActions
  transport: Transport
  persistence: Persistence
  /** Collection name to its primary-key field. */
  collections: Record<string, { primaryKey: string }>
  pageSize: number
  /** The clock, for `lastSyncedAt`; swappable in tests. */
  now: () => number
  /** Longest time in ms an applied page waits before it is saved (default 1000). */
  saveInterval?: number
  /** Polling, retries, timeouts, connectivity and focus (liveOptions.ts), defaults filled in. */
  live: LiveSyncConfig
}

/** What the enhancer exposes on the store as `store.replica`. */
export interface ReplicaHandle {
  /**
   * Resolves when the local data is in Redux (rejects if the local database could not be opened).
   * @example await store.replica.whenHydrated(); render(<App />)
   */
  whenHydrated(): Promise<void>
  /**
   * Resolves when everything applied so far is saved.
   * @example await store.replica.flush() // before a test reads the file, or a CLI exits
   */
  flush(): Promise<void>
  /**
   * Stops every sync, saves, and releases the local database; no action is dispatched after it.
   * @example process.on('SIGTERM', () => store.replica.close().then(() => process.exit(0)))
   */
  close(): Promise<void>
}

/** A running subscription: how many subscribers hold it, how to stop it, how to wake it. */
interface Running {
  refs: number
  controller: AbortController
  alarm: Alarm
  /** Each subscriber's polling interval; the shortest wins. */
  intervals: number[]
  /** The loop ended on a failure no retry fixes (a 4xx); a new subscriber starts it again. */
  stopped: boolean
  collection: string
  filter: Filter
}

/**
 * A reconnect pulls every subscription at once only after an outage at least this long. A lossy
 * network flips online and offline with every request; pulling everything on each flip would be
 * a request storm. Subscriptions that failed during a short outage wait at the offline gate and
 * are released by it anyway.
 */
const RECONNECT_AFTER_OFFLINE_MS = 2_000

/**
 * The replica's moving parts for one store: the local database, and one sync loop per
 * subscription with its reference count. Lives in the middleware's closure, never in state.
 */
export function createSyncEngine(config: EngineConfig, api: MiddlewareAPI): ReplicaHandle & {
  /** The local store once opened and hydrated (the push loop works on it); rejects if it could not be opened. */
  localStore(): Promise<LocalStore>
  subscribe(scope: SubscribeOptions): void
  unsubscribe(scope: SubscribeOptions): void
} {
  const { actions } = config
  const running = new Map<string, Running>()
  const loops = new Set<Promise<void>>()
  let closed = false
  let closing: Promise<void> | undefined
  let opened: LocalStore | undefined
  const dispatch: MiddlewareAPI['dispatch'] = (action) => {
    if (closed) return action
    // The local store keeps each subscription's last sync time, for the next hydration to restore.
    if (actions.syncSucceeded.match(action)) opened?.markSynced(action.payload.key, action.payload.at)
    return api.dispatch(action)
  }

  const hydrated = openAndHydrate({ persistence: config.persistence, collections: config.collections, saveInterval: config.saveInterval }, actions, dispatch)
  // A failed open is reported through state; callers of whenHydrated() still see the rejection.
  hydrated.then((store) => (opened = store), () => {})

  const { live } = config
  const emit = safeEmitter(live.onEvent)
  const connectivity = createConnectivity({
    onlineManager: live.onlineManager,
    timers: live.timers,
    backoff: live.backoff,
    onProbe: (key) => emit({ type: 'probe', key }),
  })
  const ringCollections = (collections: readonly string[], trigger: 'poke' | 'live', where?: LivePoke['where']) => {
    for (const entry of running.values()) {
      if (collections.includes(entry.collection) && pokeConcerns(entry.filter, where?.[entry.collection])) entry.alarm.ring(trigger)
    }
  }
  // One live connection per store, for the collections subscribed (when the transport has one).
  const channel = config.transport.live
    ? createLiveChannelKeeper({
        live: config.transport.live.bind(config.transport),
        timers: live.timers,
        backoff: live.backoff,
        emit,
        onOpen: () => ringCollections([...new Set([...running.values()].map((e) => e.collection))], 'live'),
        onPoke: (poke) => ringCollections(poke.collections, 'poke', poke.where),
      })
    : undefined
  const listenFor = () => channel?.want([...new Set([...running.values()].map((e) => e.collection))].sort())
  const services: LoopServices = {
    actions,
    dispatch,
    transport: config.transport,
    pageSize: config.pageSize,
    now: config.now,
    live,
    limiter: createLimiter(live.maxConcurrentPulls),
    connectivity,
    emit,
    channelUp: () => channel?.isUp() ?? false,
  }
  const ringAll = (trigger: 'focus' | 'reconnect') => {
    for (const { alarm } of running.values()) alarm.ring(trigger)
  }
  let offlineSince: number | undefined
  const stopListening = [
    live.onlineManager.subscribe((online) => {
      emit({ type: 'connectivity', online })
      if (!online) {
        offlineSince ??= config.now()
        return
      }
      const outage = offlineSince === undefined ? 0 : config.now() - offlineSince
      offlineSince = undefined
      channel?.retryNow()
      if (outage >= RECONNECT_AFTER_OFFLINE_MS) ringAll('reconnect')
    }),
    live.focusManager.subscribe((focused) => {
      if (!focused) return
      ringAll('focus')
      connectivity.probeNow()
    }),
    () => connectivity.dispose(),
    () => void channel?.close(),
  ]

  async function run(key: string, scope: Required<Scope>, entry: Running): Promise<void> {
    const { signal } = entry.controller
    try {
      const store = await hydrated
      signal.throwIfAborted()
      const { primaryKey } = config.collections[scope.collection] as { primaryKey: string }
      const pollingInterval = () => Math.min(...entry.intervals)
      // While its loop runs, the subscription's stream keeps the rows it holds up to date.
      store.activate(key)
      try {
        await runSubscriptionLoop(services, { key, ...scope, primaryKey, pollingInterval }, store, entry.alarm, signal)
      } finally {
        store.deactivate(key)
      }
      entry.stopped = !signal.aborted
    } catch (error) {
      if (!signal.aborted) dispatch(actions.syncFailed({ key, error: toSerializedError(error) }))
    } finally {
      if (signal.aborted) emit({ type: 'stopped', key })
    }
  }

  function start(key: string, scope: Required<Scope>, pollingInterval: number): void {
    const entry: Running = { refs: 1, controller: new AbortController(), alarm: createAlarm(live.timers), intervals: [pollingInterval], stopped: false, collection: scope.collection, filter: scope.filter }
    running.set(key, entry)
    launch(key, scope, entry)
    listenFor()
  }

  function launch(key: string, scope: Required<Scope>, entry: Running): void {
    entry.stopped = false
    const loop = run(key, scope, entry).finally(() => loops.delete(loop))
    loops.add(loop)
  }

  /** A subscriber's polling interval: its own if valid, else the replica's default. */
  const intervalOf = (scope: SubscribeOptions) => {
    const asked = scope.pollingInterval
    return typeof asked === 'number' && asked >= 0 && Number.isFinite(asked) ? asked : live.pollingInterval
  }

  return {
    localStore: () => hydrated,
    subscribe(scope) {
      if (closed) return
      const key = scopeKey(scope)
      const current = running.get(key)
      if (current) {
        current.refs++
        current.intervals.push(intervalOf(scope))
        // A subscription stopped by a 4xx (say, a token that expired) gets another go with each
        // new subscriber, as a remount would give it.
        if (current.stopped) launch(key, { collection: scope.collection, filter: canonicalFilter(scope.filter) }, current)
        return
      }
      const problem = !Object.hasOwn(config.collections, scope.collection)
        ? new ReplicaError('unknown_collection', `Unknown collection "${scope.collection}": configure it in createReplica({ collections })`)
        : describeFilterProblem(scope.filter) !== undefined
          ? new ReplicaError('bad_filter', `Bad filter for "${scope.collection}": ${describeFilterProblem(scope.filter)}`)
          : undefined
      if (problem) {
        dispatch(actions.syncFailed({ key, error: toSerializedError(problem) }))
        return
      }
      start(key, { collection: scope.collection, filter: canonicalFilter(scope.filter) }, intervalOf(scope))
    },

    unsubscribe(scope) {
      const key = scopeKey(scope)
      const current = running.get(key)
      if (!current) return
      // Drop the interval this subscriber registered (the default if it named none), else the newest.
      const at = current.intervals.lastIndexOf(intervalOf(scope))
      current.intervals.splice(at >= 0 ? at : current.intervals.length - 1, 1)
      if (--current.refs > 0) return
      running.delete(key)
      current.controller.abort()
      listenFor()
      dispatch(actions.syncStopped({ key }))
    },

    whenHydrated: () => hydrated.then(() => undefined),
    // After close() everything was saved and the database released: nothing is left to flush.
    flush: () => (closed ? Promise.resolve() : hydrated.then((store) => store.flush())),
    close() {
      closed = true
      closing ??= (async () => {
        for (const stop of stopListening) stop()
        for (const { controller } of running.values()) controller.abort()
        running.clear()
        await Promise.allSettled([...loops])
        await channel?.close()
        const store = await hydrated.catch(() => undefined)
        await store?.close()
      })()
      return closing
    },
  }
}
