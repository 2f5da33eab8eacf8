import type { Reducer, UnknownAction } from '@reduxjs/toolkit'
import type { Key } from '../core/protocol'
import type { ReplicaActions, ReplicaSlices } from './actions'
import type { HydrationState, StorageState } from './lifecycleSlices'
import type { SubscriptionState } from './subscriptionsSlice'
import { applyEntityChanges, emptyEntityState, entityStateFrom } from './entityState'
import type { EntityState } from './entityState'
import type { WritesState } from './writesSlice'

export type { SubscriptionState, SubscriptionStatus } from './subscriptionsSlice'
export type { HydrationState, StorageState } from './lifecycleSlices'

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

/**
 * Builds the replica's reducer: one generated reducer per collection, plus the subscriptions,
 * hydration, storage and writes slices. Combined by hand rather than with `combineReducers`, so an
 * action that changes nothing returns the same state object, and a page touches only its collection.
 */
export function buildReducer<Rows extends Record<string, object>>(
  actions: ReplicaActions,
  slices: ReplicaSlices,
  primaryKeys: { [K in keyof Rows]: string },
): Reducer<ReplicaState<Rows>> {
  type Collections = Record<string, EntityState<object>>
  const collectionReducers = Object.entries(primaryKeys as Record<string, string>).map(
    ([name, primaryKey]) => [name, buildCollectionReducer<object>(actions, name, primaryKey)] as const,
  )
  const subscriptions = slices.subscriptions.reducer
  const hydration = slices.hydration.reducer
  const storage = slices.storage.reducer
  const writes = slices.writes.reducer

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
    if (actions.evicted.match(action) && action.payload.collection === name) {
      return applyEntityChanges(state, [], action.payload.removed, keyOf)
    }
    if (actions.hydrateCollection.match(action) && action.payload.collection === name) {
      const { payload } = action
      return 'state' in payload ? (payload.state as unknown as EntityState<T>) : entityStateFrom(payload.rows as unknown as T[], keyOf)
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
