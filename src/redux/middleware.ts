import type { Middleware, MiddlewareAPI } from '@reduxjs/toolkit'
import type { Scope } from '../core/scope'
import type { ReplicaActions } from '../state/actions'

/** What the middleware hands subscribe and unsubscribe actions to. */
export interface SubscriptionHandler {
  subscribe(scope: Scope): void
  unsubscribe(scope: Scope): void
}

/**
 * Passes every action on once, then hands the replica's subscribe and unsubscribe actions to the
 * engine that `attach` creates for this store.
 */
export function buildMiddleware(actions: ReplicaActions, attach: (api: MiddlewareAPI) => SubscriptionHandler): Middleware {
  return (api) => {
    const engine = attach(api)
    return (next) => (action) => {
      const result = next(action)
      if (actions.subscribe.match(action)) engine.subscribe(action.payload)
      else if (actions.unsubscribe.match(action)) engine.unsubscribe(action.payload)
      return result
    }
  }
}
