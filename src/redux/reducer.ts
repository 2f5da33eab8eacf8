import { createReducer } from '@reduxjs/toolkit'
import type { Reducer, SerializedError, UnknownAction } from '@reduxjs/toolkit'
import type { Filter, Key } from '../protocol'
import { canonicalFilter, describeFilterProblem, scopeKey } from '../subscriptions/scope'
import type { StorageRole } from '../store/webLock'
import type { ReplicaActions } from './actions'
import { applyEntityChanges, emptyEntityState, entityStateFrom } from './entityState'
import type { EntityState } from './entityState'
import { buildWritesReducer } from '../writes/reducer'
import type { WritesState } from '../writes/reducer'

/** Where a subscription stands. `synced`: its pull reached the end of the server's data. */
export type SubscriptionStatus = 'idle' | 'syncing' | 'synced' | 'offline' | 'error'

export interface SubscriptionState {
  collection: string
  filter: Filter
  status: SubscriptionStatus
  /** Changes received from the server since this subscription was first stored. */
  received: number
  /** Changes the server says are left, when it says. */
  remaining?: number
  /** ISO time of the last pull that reached the end of the server's data. */
  lastSyncedAt?: string
  /**
   * Digest repairs since the store started (docs/live-sync.md): each one means the replica had
   * diverged from the server without the stream saying so, which should not happen. Alert on it.
   * @example if (selectSubscription(state, scope).repairs) report('replica diverged', scope)
   */
  repairs?: { count: number; upserted: number; removed: number; lastAt: string }
  error?: SerializedError
}

export interface HydrationState {
  status: 'pending' | 'hydrated' | 'failed'
  error?: SerializedError
}

/** The local database's health. */
export interface StorageState {
  /** `failing` while saves fail (data is kept in memory and saves are retried). */
  status: 'ok' | 'failing'
  error?: SerializedError
  /** Set when the database found at start was unusable and kept under another name. */
  setAside?: { reason: 'unreadable' | 'incompatible'; movedTo: string; error: SerializedError }
  /**
   * Set once the database is open: `leader` if this tab writes it, `follower` if another tab does
   * (IndexedDB with Web Locks; every other persistence leads).
   */
  role?: StorageRole
}

/** The replica's slice of the Redux state: plain data only. */
export interface ReplicaState<Rows extends Record<string, object> = Record<string, object>> {
  collections: { [K in keyof Rows]: EntityState<Rows[K]> }
  /** By subscription identity (`scopeKey`). */
  subscriptions: Record<string, SubscriptionState>
  hydration: HydrationState
  storage: StorageState
  /** Local writes: pending counts, push status, refused writes (docs/writes.md). */
  writes: WritesState
}

/** Builds the replica's reducer: one generated reducer per collection, plus subscriptions and hydration. */
export function buildReducer<Rows extends Record<string, object>>(
  actions: ReplicaActions,
  primaryKeys: { [K in keyof Rows]: string },
): Reducer<ReplicaState<Rows>> {
  type Collections = Record<string, EntityState<object>>
  const collectionReducers = Object.entries(primaryKeys as Record<string, string>).map(
    ([name, primaryKey]) => [name, buildCollectionReducer<object>(actions, name, primaryKey)] as const,
  )
  const subscriptions = buildSubscriptionsReducer(actions)
  const hydration = buildHydrationReducer(actions)
  const storage = buildStorageReducer(actions)
  const writes = buildWritesReducer(actions)

  const reducer = (state: ReplicaState | undefined, action: UnknownAction): ReplicaState => {
    const before = state?.collections as Collections | undefined
    let collections: Collections | undefined = before
    for (const [name, reduce] of collectionReducers) {
      const after = reduce(before?.[name], action)
      if (after === before?.[name]) continue
      collections = collections === before ? { ...before } : collections
      ;(collections as Collections)[name] = after
    }
    const nextSubscriptions = subscriptions(state?.subscriptions, action)
    const nextHydration = hydration(state?.hydration, action)
    const nextStorage = storage(state?.storage, action)
    const nextWrites = writes(state?.writes, action)
    if (state && collections === before && nextSubscriptions === state.subscriptions && nextHydration === state.hydration && nextStorage === state.storage && nextWrites === state.writes) {
      return state
    }
    return { collections: collections as Collections, subscriptions: nextSubscriptions, hydration: nextHydration, storage: nextStorage, writes: nextWrites }
  }
  return reducer as unknown as Reducer<ReplicaState<Rows>>
}

/** A collection's reducer, written without Immer: a draft of 100,000 rows costs a full copy per action. */
function buildCollectionReducer<T extends object>(actions: ReplicaActions, name: string, primaryKey: string): Reducer<EntityState<T>> {
  const keyOf = (row: T) => (row as Record<string, unknown>)[primaryKey] as Key
  return (state = emptyEntityState<T>(), action: UnknownAction) => {
    if (actions.pageApplied.match(action) && action.payload.collection === name) {
      const { upserted, removed } = action.payload
      return applyEntityChanges(state, upserted as unknown as T[], removed, keyOf)
    }
    if (actions.hydrateCollection.match(action) && action.payload.collection === name) {
      return entityStateFrom(action.payload.rows as unknown as T[], keyOf)
    }
    // Local writes (optimistic) and the server's answers to them.
    if (actions.writeQueued.match(action) && action.payload.change.collection === name) {
      const { upserted, removed } = action.payload.change
      return applyEntityChanges(state, upserted as unknown as T[], removed, keyOf)
    }
    if (actions.pushSettled.match(action)) {
      const change = action.payload.changes.find((c) => c.collection === name)
      return change ? applyEntityChanges(state, change.upserted as unknown as T[], change.removed, keyOf) : state
    }
    return state
  }
}

function buildSubscriptionsReducer(actions: ReplicaActions) {
  const initial: Record<string, SubscriptionState> = {}
  return createReducer(initial, (builder) =>
    builder
      .addCase(actions.subscribe, (state, { payload }) => {
        state[scopeKey(payload)] ??= {
          collection: payload.collection,
          // A filter that is not plain data stays out of state; the error status names the problem.
          filter: describeFilterProblem(payload.filter) === undefined ? canonicalFilter(payload.filter) : {},
          status: 'idle',
          received: 0,
        }
      })
      .addCase(actions.hydrateSubscriptions, (state, { payload }) => {
        // What the last run stored; a subscribe dispatched before hydration keeps its status.
        for (const { key, collection, filter, received, lastSyncedAt } of payload.subscriptions) {
          const subscription = (state[key] ??= { collection, filter, status: 'idle', received: 0 })
          subscription.received = received
          if (lastSyncedAt !== undefined) subscription.lastSyncedAt = lastSyncedAt
        }
      })
      .addCase(actions.syncStarted, (state, { payload }) => {
        const subscription = state[payload.key]
        if (!subscription) return
        subscription.status = 'syncing'
        delete subscription.error
      })
      .addCase(actions.pageApplied, (state, { payload }) => {
        const subscription = state[payload.key]
        if (!subscription) return
        subscription.received += payload.received
        // Servers may count only now and then (the reference server counts on a sync's first page):
        // between counts, the last count less what has arrived since is the best estimate.
        if (payload.remaining !== undefined) subscription.remaining = payload.remaining
        else if (subscription.remaining !== undefined) subscription.remaining = Math.max(0, subscription.remaining - payload.received)
      })
      .addCase(actions.syncSucceeded, (state, { payload }) => {
        const subscription = state[payload.key]
        if (!subscription) return
        subscription.status = 'synced'
        subscription.lastSyncedAt = payload.at
        if (subscription.remaining !== undefined) subscription.remaining = 0
        delete subscription.error
      })
      .addCase(actions.repaired, (state, { payload }) => {
        const subscription = state[payload.key]
        if (!subscription) return
        const before = subscription.repairs ?? { count: 0, upserted: 0, removed: 0 }
        subscription.repairs = {
          count: before.count + 1,
          upserted: before.upserted + payload.upserted,
          removed: before.removed + payload.removed,
          lastAt: payload.at,
        }
      })
      .addCase(actions.syncOffline, (state, { payload }) => {
        const subscription = state[payload.key]
        if (!subscription) return
        subscription.status = 'offline'
        delete subscription.error
      })
      .addCase(actions.syncFailed, (state, { payload }) => {
        const subscription = state[payload.key]
        if (!subscription) return
        subscription.status = 'error'
        subscription.error = payload.error
      })
      .addCase(actions.syncStopped, (state, { payload }) => {
        const subscription = state[payload.key]
        if (subscription && subscription.status !== 'error') subscription.status = 'idle'
      }),
  )
}

function buildStorageReducer(actions: ReplicaActions) {
  const initial: StorageState = { status: 'ok' }
  return createReducer(initial, (builder) =>
    builder
      .addCase(actions.databaseSetAside, (state, { payload }) => {
        state.setAside = payload
      })
      .addCase(actions.storageFailed, (state, { payload }) => {
        state.status = 'failing'
        state.error = payload.error
      })
      .addCase(actions.storageRecovered, (state) => {
        state.status = 'ok'
        delete state.error
      })
      .addCase(actions.roleChanged, (state, { payload }) => {
        state.role = payload.role
      }),
  )
}

function buildHydrationReducer(actions: ReplicaActions) {
  const initial: HydrationState = { status: 'pending' }
  return createReducer(initial, (builder) =>
    builder.addCase(actions.hydrated, (_state, { payload }) =>
      payload.error ? { status: 'failed', error: payload.error } : { status: 'hydrated' },
    ),
  )
}
