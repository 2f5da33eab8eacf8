import { useStore } from 'react-redux'
import type { CollectionConfig } from '../core/collection'
import type { Replica } from '../redux/createReplica'

/** Stores already found to be set up, so the check costs one WeakSet lookup per render. */
const checked = new WeakSet<object>()

/**
 * The react-redux store, checked once for the replica's reducer, enhancer and middleware: a store
 * without them would render empty and never sync, with nothing to say why.
 */
export function useReplicaStore(replica: Replica<Record<string, CollectionConfig<object>>, string>) {
  const store = useStore()
  if (checked.has(store)) return store
  const state = store.getState() as Record<string, unknown> | undefined
  const path = replica.reducerPath
  if (typeof state !== 'object' || state === null || !(path in state)) {
    throw new Error(`redux-replica: the store has no "${path}" state; add { [replica.reducerPath]: replica.reducer } to its reducers`)
  }
  const handle = (store as { replica?: { whenHydrated?: () => Promise<void> } }).replica
  if (typeof handle?.whenHydrated !== 'function') {
    throw new Error('redux-replica: the store has no replica.enhancer; add enhancers: (gDE) => gDE().concat(replica.enhancer)')
  }
  try {
    // Without the middleware, the enhancer finds no internals for this store and throws at once.
    handle.whenHydrated().catch(() => {})
  } catch {
    throw new Error('redux-replica: the store has no replica.middleware; add middleware: (gDM) => gDM().concat(replica.middleware)')
  }
  checked.add(store)
  return store
}
