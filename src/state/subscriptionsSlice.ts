import { createSlice } from '@reduxjs/toolkit'
import type { PayloadAction, SerializedError } from '@reduxjs/toolkit'
import type { Filter, Key } from '../core/protocol'
import type { Row } from '../core/pullWire'
import { canonicalFilter, describeFilterProblem, scopeKey } from '../core/scope'
import type { SubscribeOptions } from '../core/scope'

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

/** A stored subscription as hydration restores it. */
export interface HydratedSubscription {
  key: string
  collection: string
  filter: Filter
  received: number
  lastSyncedAt?: string
}

/** A page applied to the local store, as one action (never one per row). */
export interface PageAppliedPayload {
  /** The subscription's identity (`scopeKey`). */
  key: string
  collection: string
  upserted: Row[]
  removed: Key[]
  /** Changes in the page, applied or not (an older version is received but not applied). */
  received: number
  remaining?: number
}

/**
 * A scope nobody used was evicted (docs/eviction.md): its rows left the local database and leave
 * Redux, and its subscription leaves state. `unused`: `keepUnusedDataFor` passed since its last
 * subscriber left (or since the start, for a scope stored by an earlier run); `maxRows`: its
 * collection held more than `maxRows` and this was the least recently used scope nobody held;
 * `writesSettled`: rows it left behind for their pending writes, now answered.
 */
export interface EvictedPayload {
  key: string
  collection: string
  /** Primary keys of the rows removed. */
  removed: Key[]
  /** Rows it held that stay (another subscription holds or shows them, or they have pending writes). */
  kept: number
  reason: 'unused' | 'maxRows' | 'writesSettled'
}

type Subscriptions = Record<string, SubscriptionState>

/** Runs `update` on the subscription of `key` if state has it (an action may outlive its subscription). */
const on = <P extends { key: string }>(update: (subscription: SubscriptionState, payload: P) => void) =>
  (state: Subscriptions, { payload }: PayloadAction<P>) => {
    const subscription = state[payload.key]
    if (subscription) update(subscription, payload)
  }

/**
 * The subscriptions slice: status and counts per subscription, by `scopeKey`. Its actions are the
 * sync engine's reports (dispatched by the replica; an app may listen to them).
 * Long (about 90 lines) because it is one `createSlice` call: a case reducer per report, each a few lines.
 */
export function buildSubscriptionsSlice(reducerPath: string, subscribe: { type: string; match(action: unknown): action is PayloadAction<SubscribeOptions> }) {
  return createSlice({
    name: reducerPath,
    initialState: {} as Subscriptions,
    reducers: {
      /** Subscriptions stored with the data, loaded at start: counts and last sync restored, status `idle`. */
      hydrateSubscriptions(state: Subscriptions, { payload }: PayloadAction<{ subscriptions: HydratedSubscription[] }>) {
        // What the last run stored; a subscribe dispatched before hydration keeps its status.
        for (const { key, collection, filter, received, lastSyncedAt } of payload.subscriptions) {
          const subscription = (state[key] ??= { collection, filter, status: 'idle', received: 0 })
          subscription.received = received
          if (lastSyncedAt !== undefined) subscription.lastSyncedAt = lastSyncedAt
        }
      },
      /** A subscription's pull started (status `syncing`). */
      syncStarted: on<{ key: string }>((subscription) => {
        subscription.status = 'syncing'
        delete subscription.error
      }),
      /**
       * One page applied to the local store: its rows upserted and removed in Redux, the
       * subscription's counts updated. One action per page, never one per row.
       * @example
       * listenerMiddleware.startListening({ actionCreator: replica.internalActions.pageApplied, effect: ({ payload }) => log(payload.received) })
       */
      pageApplied: on<PageAppliedPayload>((subscription, payload) => {
        subscription.received += payload.received
        // Servers may count only now and then (the reference server counts on a sync's first page):
        // between counts, the last count less what has arrived since is the best estimate.
        if (payload.remaining !== undefined) subscription.remaining = payload.remaining
        else if (subscription.remaining !== undefined) subscription.remaining = Math.max(0, subscription.remaining - payload.received)
      }),
      /** The subscription caught up with the server (status `synced`). */
      syncSucceeded: on<{ key: string; at: string }>((subscription, { at }) => {
        subscription.status = 'synced'
        subscription.lastSyncedAt = at
        if (subscription.remaining !== undefined) subscription.remaining = 0
        delete subscription.error
      }),
      /**
       * A digest check found the subscription's rows diverged from the server's and repaired them
       * (rows put in or replaced, rows taken out). Counted in `selectSubscription(...).repairs`.
       * @example
       * listenerMiddleware.startListening({ actionCreator: replica.internalActions.repaired, effect: ({ payload }) => alert(`replica repaired: ${payload.key}`) })
       */
      repaired: on<{ key: string; upserted: number; removed: number; at: string }>((subscription, payload) => {
        const before = subscription.repairs ?? { count: 0, upserted: 0, removed: 0 }
        subscription.repairs = {
          count: before.count + 1,
          upserted: before.upserted + payload.upserted,
          removed: before.removed + payload.removed,
          lastAt: payload.at,
        }
      }),
      /** The subscription waits for the network (status `offline`); it resumes by itself. */
      syncOffline: on<{ key: string }>((subscription) => {
        subscription.status = 'offline'
        delete subscription.error
      }),
      /** The subscription failed (status `error`). */
      syncFailed: on<{ key: string; error: SerializedError }>((subscription, { error }) => {
        subscription.status = 'error'
        subscription.error = error
      }),
      /**
       * A scope nobody used was evicted: it leaves state (each collection's reducer drops its rows).
       * @example
       * listenerMiddleware.startListening({ actionCreator: replica.internalActions.evicted, effect: ({ payload }) => log(payload.key, payload.removed.length) })
       */
      evicted(state: Subscriptions, { payload }: PayloadAction<EvictedPayload>) {
        delete state[payload.key]
      },
      /** The subscription is not running any more (status back to `idle` unless it failed). */
      syncStopped: on<{ key: string }>((subscription) => {
        if (subscription.status !== 'error') subscription.status = 'idle'
      }),
    },
    extraReducers: (builder) =>
      builder.addMatcher(subscribe.match, (state, { payload }) => {
        state[scopeKey(payload)] ??= {
          collection: payload.collection,
          // A filter that is not plain data stays out of state; the error status names the problem.
          filter: describeFilterProblem(payload.filter) === undefined ? canonicalFilter(payload.filter) : {},
          status: 'idle',
          received: 0,
        }
      }),
  })
}
