import { createSelector, lruMemoize } from '@reduxjs/toolkit'
import type { Filter, Key } from '../core/protocol'
import { canonicalFilter, matchesFilter, scopeKey } from '../core/scope'
import type { Scope } from '../core/scope'
import { entityById } from './entityState'
import type { EntityState } from './entityState'
import type { HydrationState, ReplicaState, StorageState, SubscriptionState } from './reducer'

/** A store state that holds the replica under `reducerPath`. */
export type RootStateWith<P extends string, Rows extends Record<string, object>> = { [K in P]: ReplicaState<Rows> }

/** Selectors of one collection, in the shape of `createEntityAdapter`'s. */
export interface CollectionSelectors<S, T> {
  /** Every row, in an unspecified but stable order; the same array until the collection changes. */
  selectAll(state: S): T[]
  selectById(state: S, id: Key): T | undefined
  selectIds(state: S): Key[]
  /** Rows by key (as a string); the same object until the collection changes. */
  selectEntities(state: S): Record<string, T>
  selectTotal(state: S): number
  /**
   * Rows matching a filter, with the server's semantics (scalar: equality, array: IN). Memoized per
   * filter, so `useSelector((s) => selectWhere(s, { project_id: 7 }))` keeps its array until the
   * collection changes, although the filter object is new on each render.
   */
  selectWhere(state: S, filter: Filter): T[]
}

const NO_SUBSCRIPTION: SubscriptionState = Object.freeze({
  collection: '',
  filter: {},
  status: 'idle',
  received: 0,
}) as SubscriptionState

/** Filters whose results are kept per collection; past this many, the cache starts over. */
const MAX_FILTERS = 64

export function buildCollectionSelectors<S, T>(select: (state: S) => EntityState<T>, primaryKey: string): CollectionSelectors<S, T> {
  // Each flat view is one pass over the shards' arrays: O(rows) pointer copies, once per state of
  // the collection. One-entry memos (lruMemoize), as the views change with every page anyway.
  const memo = { memoize: lruMemoize, argsMemoize: lruMemoize } as const
  const selectAll = createSelector([select], (entities) => {
    const out = new Array<T>(entities.total)
    let i = 0
    for (const shard of entities.shards) for (const row of shard.rows) out[i++] = row
    return out
  }, memo)
  const selectEntities = createSelector([select], (entities) => {
    const out: Record<string, T> = {}
    for (const { keys, rows } of entities.shards) for (let j = 0; j < keys.length; j++) out[keys[j] as string] = rows[j] as T
    return out
  }, memo)
  const selectIds = createSelector([selectAll], (rows) => rows.map((row) => (row as Record<string, unknown>)[primaryKey] as Key), memo)
  // selectWhere stays hand-written: createSelector memoizes on whole inputs, so a new collection
  // state would filter every row again. Per filter: the result for the last state asked, and each
  // shard's matching rows. Shards are
  // immutable and shared between states, so after a page only the ~250 shards it touched are
  // filtered again; the rest are looked up. A 100k-row sync then costs each mounted view about a
  // page's work per page, not a pass over every row.
  const filters = new Map<string, { entities?: EntityState<T>; rows: T[]; byShard: WeakMap<object, T[]> }>()
  return {
    selectAll,
    selectById: (state, id) => entityById(select(state), id),
    selectIds,
    selectEntities,
    selectTotal: (state) => select(state).total,
    selectWhere(state, filter) {
      const entities = select(state)
      const canonical = canonicalFilter(filter)
      const key = JSON.stringify(canonical)
      let cached = filters.get(key)
      if (!cached) {
        if (filters.size >= MAX_FILTERS) filters.clear()
        filters.set(key, (cached = { rows: [], byShard: new WeakMap() }))
      }
      if (cached.entities !== entities) {
        const rows: T[] = []
        for (const shard of entities.shards) {
          let matching = cached.byShard.get(shard)
          if (!matching) {
            matching = shard.rows.filter((row) => matchesFilter(row as Record<string, unknown>, canonical))
            cached.byShard.set(shard, matching)
          }
          for (const row of matching) rows.push(row)
        }
        cached.entities = entities
        // Rows of other filters changed: keep the old array, so a view of this filter need not render.
        if (!sameRows(rows, cached.rows)) cached.rows = rows
      }
      return cached.rows
    },
  }
}

/** Store-wide selectors: subscription status and hydration. */
export function buildReplicaSelectors<S>(select: (state: S) => ReplicaState) {
  return {
    /**
     * Where one subscription stands; `idle` with zero counts if it was never subscribed.
     * @example selectSubscription(state, { collection: 'note', filter: { project_id: 7 } }).status
     */
    selectSubscription: (state: S, scope: Scope): SubscriptionState =>
      select(state).subscriptions[scopeKey(scope)] ?? NO_SUBSCRIPTION,
    /** Every subscription by identity. */
    selectSubscriptions: (state: S): Record<string, SubscriptionState> => select(state).subscriptions,
    /**
     * Whether local data is in Redux yet: `pending`, `hydrated`, or `failed` (with the error).
     * @example const ready = selectHydration(state).status !== 'pending'
     */
    selectHydration: (state: S): HydrationState => select(state).hydration,
    /**
     * The local database's health: failing saves, a stored database that was set aside at start,
     * and whether this tab writes it (`role`: `leader` or `follower`).
     * @example if (selectStorage(state).setAside) showBanner('Offline data was reset')
     * @example const writesHere = selectStorage(state).role === 'leader'
     */
    selectStorage: (state: S): StorageState => select(state).storage,
  }
}

function sameRows<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
