import { useEffect, useMemo } from 'react'
import { useDispatch, useSelector } from 'react-redux'
import type { SerializedError } from '@reduxjs/toolkit'
import type { CollectionConfig, RowsOf } from '../core/collection'
import type { Replica } from '../redux/createReplica'
import type { Filter } from '../core/protocol'
import type { SubscriptionStatus } from '../state/reducer'
import { canonicalFilter, scopeKey } from '../core/scope'

const NO_ROWS: never[] = []

/** What `useSubscription` returns: the rows the subscription sees, and where its sync stands. */
export interface UseSubscriptionResult<T> {
  /** Rows of the collection matching the filter; the same array until they change. */
  data: T[]
  status: SubscriptionStatus
  received: number
  remaining?: number
  lastSyncedAt?: string
  error?: SerializedError
}

export interface ReplicaHooks<Collections extends Record<string, CollectionConfig<object>>> {
  /**
   * Subscribes while the component is mounted and returns the matching rows and the sync status.
   * The filter may be a new object on every render: only its canonical form counts.
   *
   * @example
   * const { data: notes, status } = useSubscription('note', { project_id: projectId })
   */
  useSubscription<K extends keyof Collections & string>(collection: K, filter?: Filter): UseSubscriptionResult<RowsOf<Collections>[K]>
}

/**
 * Builds typed hooks for a replica, in the manner of RTK Query's generated hooks. Use inside a
 * react-redux `<Provider>` whose store has the replica's reducer, middleware and enhancer.
 *
 * @example
 * export const { useSubscription } = createReplicaHooks(replica)
 */
export function createReplicaHooks<Collections extends Record<string, CollectionConfig<object>>, Path extends string>(
  replica: Replica<Collections, Path>,
): ReplicaHooks<Collections> {
  return {
    useSubscription(collection, filter) {
      const dispatch = useDispatch()
      const key = scopeKey({ collection, filter: filter ?? {} })
      // The canonical filter changes only when the scope does, so effects and selectors stay put.
      const scope = useMemo(() => ({ collection, filter: canonicalFilter(filter) }), [key])
      useEffect(() => {
        // Each mount is one subscriber, with an id of its own: its unsubscribe releases exactly
        // its registration, whatever other components subscribed to the same scope.
        const { meta } = dispatch(replica.actions.subscribe(scope))
        // Unsubscribe a task later: StrictMode's unmount-remount then re-subscribes first, and the
        // reference count never touches zero, so no second sync loop starts.
        return () => {
          setTimeout(() => dispatch(replica.actions.unsubscribe(scope, meta.subscriberId)), 0)
        }
      }, [dispatch, scope])
      // An unconfigured collection renders no rows; the subscribe above puts its error in state.
      const selectors = Object.hasOwn(replica.selectors, collection) ? replica.selectors[collection] : undefined
      const data = useSelector((state: never) => selectors?.selectWhere(state, scope.filter) ?? NO_ROWS)
      const subscription = useSelector((state: never) => replica.selectors.selectSubscription(state, scope))
      const { status, received, remaining, lastSyncedAt, error } = subscription
      return { data, status, received, remaining, lastSyncedAt, error }
    },
  }
}
