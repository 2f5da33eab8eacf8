import type { MiddlewareAPI } from '@reduxjs/toolkit'
import { ReplicaError, toSerializedError } from '../errors'
import type { ReplicaActions } from '../redux/actions'
import { openAndHydrate } from '../redux/hydrate'
import type { LocalStore } from '../store/localStore'
import type { Persistence } from '../store/persistence'
import { canonicalFilter, describeFilterProblem, scopeKey } from '../subscriptions/scope'
import type { Scope } from '../subscriptions/scope'
import { pullUntilCaughtUp } from './pull'
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
}

/** What the enhancer exposes on the store as `store.replica`. */
export interface ReplicaHandle {
  /** Resolves when the local data is in Redux (rejects if the local database could not be opened). */
  whenHydrated(): Promise<void>
  /** Resolves when everything applied so far is saved. */
  flush(): Promise<void>
  /** Stops every sync, saves, and releases the local database; no action is dispatched after it. */
  close(): Promise<void>
}

/** A running subscription: how many subscribers hold it, and how to stop it. */
interface Running {
  refs: number
  controller: AbortController
}

/**
 * The replica's moving parts for one store: the local database, and one sync loop per
 * subscription with its reference count. Lives in the middleware's closure, never in state.
 */
export function createSyncEngine(config: EngineConfig, api: MiddlewareAPI): ReplicaHandle & {
  subscribe(scope: Scope): void
  unsubscribe(scope: Scope): void
} {
  const { actions } = config
  const running = new Map<string, Running>()
  const loops = new Set<Promise<void>>()
  let closed = false
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

  async function run(key: string, scope: Required<Scope>, signal: AbortSignal): Promise<void> {
    try {
      const store = await hydrated
      signal.throwIfAborted()
      dispatch(actions.syncStarted({ key }))
      const { primaryKey } = config.collections[scope.collection] as { primaryKey: string }
      await pullUntilCaughtUp({
        transport: config.transport,
        store,
        key,
        collection: scope.collection,
        filter: scope.filter,
        primaryKey,
        pageSize: config.pageSize,
        signal,
        onPage: (applied, page) =>
          dispatch(actions.pageApplied({ key, collection: scope.collection, ...applied, received: page.changes.length, ...(page.remaining === undefined ? {} : { remaining: page.remaining }) })),
      })
      await store.flush()
      signal.throwIfAborted()
      dispatch(actions.syncSucceeded({ key, at: new Date(config.now()).toISOString() }))
    } catch (error) {
      if (!signal.aborted) dispatch(actions.syncFailed({ key, error: toSerializedError(error) }))
    }
  }

  function start(key: string, scope: Required<Scope>): void {
    const controller = new AbortController()
    running.set(key, { refs: 1, controller })
    const loop = run(key, scope, controller.signal).finally(() => loops.delete(loop))
    loops.add(loop)
  }

  return {
    subscribe(scope) {
      const key = scopeKey(scope)
      const current = running.get(key)
      if (current) {
        current.refs++
        return
      }
      const problem = !(scope.collection in config.collections)
        ? new ReplicaError('unknown_collection', `Unknown collection "${scope.collection}": configure it in createReplica({ collections })`)
        : describeFilterProblem(scope.filter) !== undefined
          ? new ReplicaError('bad_filter', `Bad filter for "${scope.collection}": ${describeFilterProblem(scope.filter)}`)
          : undefined
      if (problem) {
        dispatch(actions.syncFailed({ key, error: toSerializedError(problem) }))
        return
      }
      start(key, { collection: scope.collection, filter: canonicalFilter(scope.filter) })
    },

    unsubscribe(scope) {
      const key = scopeKey(scope)
      const current = running.get(key)
      if (!current || --current.refs > 0) return
      running.delete(key)
      current.controller.abort()
      dispatch(actions.syncStopped({ key }))
    },

    whenHydrated: () => hydrated.then(() => undefined),
    flush: () => hydrated.then((store) => store.flush()),
    async close() {
      if (closed) return
      closed = true
      for (const { controller } of running.values()) controller.abort()
      running.clear()
      await Promise.allSettled([...loops])
      const store = await hydrated.catch(() => undefined)
      await store?.close()
    },
  }
}
