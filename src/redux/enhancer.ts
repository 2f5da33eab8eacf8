import type { StoreEnhancer } from '@reduxjs/toolkit'
import type { ReplicaHandle } from '../engines/sync/engine'

/** The store with the replica's lifecycle on it. */
export interface ReplicaStoreExt {
  replica: ReplicaHandle
}

/**
 * Adds `store.replica` (`whenHydrated`, `flush`, `close`). The local database itself is opened by
 * the middleware as the store is created, since hydration must dispatch through the whole chain.
 */
export function buildEnhancer(handle: () => ReplicaHandle): StoreEnhancer<ReplicaStoreExt> {
  return (createStore) => (reducer, preloadedState) => {
    const store = createStore(reducer, preloadedState)
    const replica: ReplicaHandle = {
      whenHydrated: () => handle().whenHydrated(),
      flush: () => handle().flush(),
      close: () => handle().close(),
    }
    return { ...store, replica }
  }
}
