import { configureStore } from '@reduxjs/toolkit'
import type { Middleware } from '@reduxjs/toolkit'
import { collection, createReplica, memoryPersistence } from '../../src'
import type { FocusManager, Persistence, Transport } from '../../src'
import type { NoteRow } from './rows'

/**
 * The store exactly as an app builds it for production: RTK's `configureStore` with the
 * serializable and immutable dev checks OFF (they walk the whole state on every dispatch and
 * are dev-only by design), plus the replica's middleware and enhancer. `outer` middleware runs
 * before the replica's (the benchmarks time dispatches with it).
 */
export interface ReplicaStoreOptions {
  persistence?: Persistence
  /** Middleware placed before the replica's. */
  outer?: Middleware[]
  saveInterval?: number
  focusManager?: FocusManager
}

export function replicaStore(transport: Transport, options: ReplicaStoreOptions = {}) {
  const { persistence = memoryPersistence(), outer = [], saveInterval, focusManager } = options
  const replica = createReplica({
    collections: { note: collection<NoteRow>() },
    transport,
    persistence,
    ...(saveInterval === undefined ? {} : { saveInterval }),
    ...(focusManager === undefined ? {} : { focusManager }),
  })
  const store = configureStore({
    reducer: { [replica.reducerPath]: replica.reducer } as { replica: typeof replica.reducer },
    middleware: (gDM) => gDM({ serializableCheck: false, immutableCheck: false }).prepend(...outer).concat(replica.middleware),
    enhancers: (gDE) => gDE().concat(replica.enhancer),
  })
  return { replica, store }
}

export type ReplicaStore = ReturnType<typeof replicaStore>

export const ALL_NOTES = { collection: 'note', filter: {} }

/** Resolves when the subscription is `synced` (or rejects when it fails). */
export function whenSynced({ replica, store }: ReplicaStore, scope = ALL_NOTES): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const sub = replica.selectors.selectSubscription(store.getState(), scope)
      if (sub.status === 'synced') done(resolve)
      else if (sub.status === 'error') done(() => reject(new Error(`sync failed: ${JSON.stringify(sub.error)}`)))
    }
    const done = (fn: () => void) => {
      unsubscribe()
      fn()
    }
    const unsubscribe = store.subscribe(check)
  })
}

/** Resolves with the time at which `predicate` first holds after a store notification. */
export function when(store: ReplicaStore['store'], predicate: () => boolean): Promise<number> {
  return new Promise((resolve) => {
    const unsubscribe = store.subscribe(() => {
      if (!predicate()) return
      const at = performance.now()
      unsubscribe()
      resolve(at)
    })
  })
}
