import type { StoreEnhancer } from '@reduxjs/toolkit'
import type { ReplicaHandle } from '../engines/sync/engine'
import type { StoreInternals } from './internals'

/** The store with the replica's lifecycle on it. */
export interface ReplicaStoreExt {
  replica: ReplicaHandle
}

/**
 * Adds `store.replica` (`whenHydrated`, `flush`, `close`), found through the middleware's internals
 * for this store. The local database itself is opened by the middleware as the store is created,
 * since hydration must dispatch through the whole chain.
 */
export function buildEnhancer(internalsOf: (getState: () => unknown) => StoreInternals | undefined): StoreEnhancer<ReplicaStoreExt> {
  return (createStore) => (reducer, preloadedState) => {
    const store = createStore(reducer, preloadedState)
    const handle = (): ReplicaHandle => {
      const internals = internalsOf(store.getState)
      if (!internals) throw new Error('replica.middleware is not installed in this store')
      return internals.handle
    }
    const replica: ReplicaHandle = {
      whenHydrated: () => handle().whenHydrated(),
      flush: () => handle().flush(),
      close: () => handle().close(),
    }
    return { ...store, replica }
  }
}
