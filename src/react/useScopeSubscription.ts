import { useEffect, useMemo } from 'react'
import { useDispatch } from 'react-redux'
import type { CollectionConfig } from '../core/collection'
import type { Filter } from '../core/protocol'
import { canonicalFilter, scopeKey } from '../core/scope'
import type { Scope } from '../core/scope'
import type { Replica } from '../redux/createReplica'

/**
 * The scope of a filter in canonical form, the same object while the scope stays the same (the
 * filter may be a new object on every render); `undefined` when skipped.
 */
export function useScope(collection: string, filter: Filter | undefined, skip: boolean): Scope | undefined {
  const key = skip ? undefined : scopeKey({ collection, filter: filter ?? {} })
  // The key is the scope's identity: the filter object itself may be new on every render.
  return useMemo(() => (key === undefined ? undefined : { collection, filter: canonicalFilter(filter) }), [key])
}

/**
 * Subscribes to a scope while mounted, in an effect (never during render, so server rendering
 * subscribes nothing), with a subscriber id of its own: the cleanup releases exactly this
 * registration and its polling interval, whatever other components hold the same scope. When the
 * last one leaves, the scope's data is kept `keepUnusedDataFor` seconds (docs/eviction.md).
 */
export function useScopeSubscription(
  replica: Replica<Record<string, CollectionConfig<object>>, string>,
  scope: Scope | undefined,
  { pollingInterval, keepUnusedDataFor }: { pollingInterval?: number | undefined; keepUnusedDataFor?: number | undefined },
) {
  const dispatch = useDispatch()
  useEffect(() => {
    if (scope === undefined) return
    const options = {
      ...scope,
      ...(pollingInterval === undefined ? {} : { pollingInterval }),
      ...(keepUnusedDataFor === undefined ? {} : { keepUnusedDataFor }),
    }
    const { meta } = dispatch(replica.actions.subscribe(options))
    // Unsubscribe a task later: StrictMode's unmount-remount then re-subscribes first, and the
    // reference count never touches zero, so no second sync loop starts.
    return () => {
      setTimeout(() => dispatch(replica.actions.unsubscribe(options, meta.subscriberId)), 0)
    }
  }, [dispatch, replica, scope, pollingInterval, keepUnusedDataFor])
}
