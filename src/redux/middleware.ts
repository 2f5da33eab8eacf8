import type { Middleware } from '@reduxjs/toolkit'
import { HANDLERS, withoutPendingRows } from './handlers'
import { createStoreInternals } from './internals'
import type { ReplicaSetup, StoreInternals } from './internals'

/** The replica's middleware, and a way to find a store's internals (for the enhancer). */
export interface ReplicaMiddleware {
  middleware: Middleware
  /** The internals of the store whose `getState` this is; undefined if the middleware is not in it. */
  internalsOf(getState: () => unknown): StoreInternals | undefined
}

/**
 * Makes each store's internals when the middleware is installed in it (keyed by the store's
 * `getState`, which the enhancer sees too), then passes every action on once and hands it to the
 * handlers (./handlers.ts). One replica may serve several stores, each with its own engines.
 */
export function buildMiddleware(setup: ReplicaSetup): ReplicaMiddleware {
  const byStore = new WeakMap<() => unknown, StoreInternals>()
  const middleware: Middleware = (api) => {
    const internals = createStoreInternals(setup, api)
    byStore.set(api.getState, internals)
    return (next) => (action) => {
      const seen = withoutPendingRows(action as Parameters<typeof withoutPendingRows>[0], internals)
      const result = next(seen)
      for (const handler of HANDLERS) handler(seen, internals)
      return result
    }
  }
  return { middleware, internalsOf: (getState) => byStore.get(getState) }
}
