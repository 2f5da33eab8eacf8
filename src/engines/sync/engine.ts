import type { MiddlewareAPI } from '@reduxjs/toolkit'
import { ReplicaError, toSerializedError } from '../../core/errors'
import type { ReplicaActions } from '../../state/actions'
import type { LocalStore } from '../../store/localStore'
import { canonicalFilter, describeFilterProblem, scopeKey } from '../../core/scope'
import type { Scope, SubscribeOptions } from '../../core/scope'
import { createAlarm } from '../../runtime/alarm'
import type { Alarm } from '../../runtime/alarm'
import type { LiveSyncConfig } from '../liveOptions'
import type { ReplicaEvent } from '../../runtime/events'
import type { LiveRuntime } from '../../runtime/liveRuntime'
import { createLiveChannelKeeper, pokeConcerns } from '../../runtime/liveChannel'
import type { Filter } from '../../core/protocol'
import type { LivePoke } from '../../core/pullWire'
import { runSubscriptionLoop } from './subscriptionLoop'
import { createEvictor } from './eviction'
import type { LoopServices } from './subscriptionLoop'
import type { Transport } from '../../core/pullWire'

export interface EngineConfig {
  actions: ReplicaActions
  transport: Transport
  /** The local database, opened and hydrated into Redux by the store's internals (redux/hydrate.ts). */
  localStore: Promise<LocalStore>
  /** Collection name to its primary-key field. */
  collections: Record<string, { primaryKey: string }>
  pageSize: number
  /** The clock, for `lastSyncedAt`; swappable in tests. */
  now: () => number
  /** Polling, retries, timeouts, connectivity and focus (liveOptions.ts), defaults filled in. */
  live: LiveSyncConfig
  /** The offline gate, limiter and wake-ups this store's engines share. */
  runtime: LiveRuntime
  /** `live.onEvent`, guarded. */
  emit: (event: ReplicaEvent) => void
  /** Default `keepUnusedDataFor`, in seconds, and `maxRows` of the collections that have one (docs/eviction.md). */
  eviction: { keepUnusedDataFor: number; maxRows: Record<string, number> }
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

/** A running subscription: the subscribers that hold it, how to stop it, how to wake it. */
interface Running {
  controller: AbortController
  alarm: Alarm
  /** Each subscriber's polling interval, by subscriber id; the shortest wins. */
  subscribers: Array<{ id: string | undefined; interval: number }>
  /** Seconds to keep its data once the last subscriber leaves: the longest any subscriber asked for. */
  keep: number
  /** Its loop, while it runs. */
  loop?: Promise<void>
  /** The loop ended on a failure no retry fixes (a 4xx); a new subscriber starts it again. */
  stopped: boolean
  collection: string
  filter: Filter
}

/** One store's sync side, as the middleware's handlers drive it. */
export interface SyncEngine extends ReplicaHandle {
  /** One subscriber more; `subscriberId` names its registration for its `unsubscribe`. */
  subscribe(scope: SubscribeOptions, subscriberId?: string): void
  /** Releases the registration of `subscriberId` (without one: the one with the same interval, else the newest). */
  unsubscribe(scope: SubscribeOptions, subscriberId?: string): void
  /** A subscription caught up (`syncSucceeded`): the local store keeps the time, for the next hydration. */
  noteSynced(key: string, at: string): void
  /** A page added rows to a collection (`pageApplied`): its `maxRows` is checked. */
  noteRowsAdded(collection: string): void
  /** Writes were answered (`pushSettled`): rows evicted scopes kept for them may go. */
  noteWritesSettled(): void
}

/**
 * Which registration an unsubscribe releases: the one with its subscriber id; for an unsubscribe
 * without one (or an id never seen, e.g. a subscribe from before a hand-written id), the newest
 * with the same polling interval, else the newest.
 */
function registrationOf(subscribers: Running['subscribers'], id: string | undefined, interval: number): number {
  const byId = id === undefined ? -1 : subscribers.findIndex((s) => s.id === id)
  if (byId >= 0) return byId
  const byInterval = subscribers.findLastIndex((s) => s.interval === interval)
  return byInterval >= 0 ? byInterval : subscribers.length - 1
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
 * subscription with its subscribers. Lives in the store's internals, never in state.
 * (Long because it is a factory: its length is the short methods of the object it returns, closed over one shared state; splitting it would pass that state around instead.)
 */
export function createSyncEngine(config: EngineConfig, api: MiddlewareAPI): SyncEngine {
  const { actions } = config
  const running = new Map<string, Running>()
  const loops = new Set<Promise<void>>()
  // Loops of scopes whose last subscriber left, until they have stopped.
  const winding = new Map<string, Promise<void>>()
  let closed = false
  let closing: Promise<void> | undefined
  let opened: LocalStore | undefined
  const dispatch: MiddlewareAPI['dispatch'] = (action) => (closed ? action : api.dispatch(action))

  const hydrated = config.localStore
  // A failed open is reported through state; callers of whenHydrated() still see the rejection.
  hydrated.then((store) => (opened = store), () => {})

  const { live, runtime, emit } = config
  const ringCollections = (collections: readonly string[], trigger: 'poke' | 'live', where?: LivePoke['where']) => {
    for (const entry of running.values()) {
      if (collections.includes(entry.collection) && pokeConcerns(entry.filter, where?.[entry.collection])) entry.alarm.ring(trigger)
    }
  }
  const subscribedCollections = () => [...new Set([...running.values()].map((e) => e.collection))].sort()
  // One live connection per store, for the collections subscribed (when the transport has one).
  const channel = config.transport.live
    ? createLiveChannelKeeper({
        live: config.transport.live.bind(config.transport),
        timers: live.timers,
        backoff: live.backoff,
        emit,
        onOpen: () => ringCollections(subscribedCollections(), 'live'),
        onPoke: (poke) => ringCollections(poke.collections, 'poke', poke.where),
      })
    : undefined
  const listenFor = () => channel?.want(subscribedCollections())
  const services: LoopServices = {
    actions,
    dispatch,
    transport: config.transport,
    pageSize: config.pageSize,
    now: config.now,
    live,
    limiter: runtime.limiter,
    connectivity: runtime.connectivity,
    emit,
    channelUp: () => channel?.isUp() ?? false,
  }
  const evictor = createEvictor({
    actions,
    dispatch,
    timers: live.timers,
    now: config.now,
    emit,
    localStore: hydrated,
    ...config.eviction,
    isHeld: (key) => running.has(key),
    windingDown: (key) => winding.get(key),
  })
  const stopListening = runtime.onWake((wake) => {
    if (wake.trigger === 'reconnect') channel?.retryNow()
    if (wake.trigger === 'reconnect' && wake.outageMs < RECONNECT_AFTER_OFFLINE_MS) return
    for (const { alarm } of running.values()) alarm.ring(wake.trigger)
  })

  async function run(key: string, scope: Required<Scope>, entry: Running): Promise<void> {
    const { signal } = entry.controller
    try {
      const store = await hydrated
      signal.throwIfAborted()
      const { primaryKey } = config.collections[scope.collection] as { primaryKey: string }
      const pollingInterval = () => Math.min(...entry.subscribers.map((s) => s.interval))
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

  function start(key: string, scope: Required<Scope>, subscriber: Running['subscribers'][number], keep: number): void {
    const entry: Running = { controller: new AbortController(), alarm: createAlarm(live.timers), subscribers: [subscriber], keep, stopped: false, collection: scope.collection, filter: scope.filter }
    running.set(key, entry)
    launch(key, scope, entry)
    listenFor()
  }

  function launch(key: string, scope: Required<Scope>, entry: Running): void {
    entry.stopped = false
    const loop = run(key, scope, entry).finally(() => loops.delete(loop))
    loops.add(loop)
    entry.loop = loop
  }

  /** A subscriber's polling interval: its own if valid, else the replica's default. */
  const intervalOf = (scope: SubscribeOptions) => {
    const asked = scope.pollingInterval
    return typeof asked === 'number' && asked >= 0 && Number.isFinite(asked) ? asked : live.pollingInterval
  }
  /** A subscriber's `keepUnusedDataFor` (seconds): its own if valid, else the replica's default. */
  const keepOf = (scope: SubscribeOptions) => {
    const asked = scope.keepUnusedDataFor
    return typeof asked === 'number' && asked >= 0 ? asked : config.eviction.keepUnusedDataFor
  }

  return {
    noteSynced: (key, at) => opened?.markSynced(key, at),
    noteRowsAdded: (collection) => evictor.rowsAdded(collection),
    noteWritesSettled: () => evictor.writesSettled(),
    subscribe(scope, subscriberId) {
      if (closed) return
      const key = scopeKey(scope)
      const current = running.get(key)
      if (current) {
        current.subscribers.push({ id: subscriberId, interval: intervalOf(scope) })
        current.keep = Math.max(current.keep, keepOf(scope))
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
      evictor.joined(key)
      start(key, { collection: scope.collection, filter: canonicalFilter(scope.filter) }, { id: subscriberId, interval: intervalOf(scope) }, keepOf(scope))
    },

    unsubscribe(scope, subscriberId) {
      const key = scopeKey(scope)
      const current = running.get(key)
      if (!current) return
      current.subscribers.splice(registrationOf(current.subscribers, subscriberId, intervalOf(scope)), 1)
      if (current.subscribers.length > 0) return
      running.delete(key)
      current.controller.abort()
      if (current.loop) {
        // An earlier loop of the scope may still be stopping too (a quick leave, join and leave).
        const stopped = Promise.all([winding.get(key), current.loop]).then(() => {
          if (winding.get(key) === stopped) winding.delete(key)
        })
        winding.set(key, stopped)
      }
      listenFor()
      dispatch(actions.syncStopped({ key }))
      evictor.left(key, current.collection, current.keep)
    },

    whenHydrated: () => hydrated.then(() => undefined),
    // After close() everything was saved and the database released: nothing is left to flush.
    flush: () => (closed ? Promise.resolve() : hydrated.then((store) => store.flush())),
    close() {
      closed = true
      closing ??= (async () => {
        stopListening()
        evictor.close()
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
