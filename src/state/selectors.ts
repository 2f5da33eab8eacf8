import { createSelector, lruMemoize } from '@reduxjs/toolkit'
import type { Filter, Key } from '../core/protocol'
import { canonicalFilter, matchesFilter, scopeKey } from '../core/scope'
import type { Scope } from '../core/scope'
import { entityById } from './entityState'
import type { EntityState, Shard } from './entityState'
import { entitiesView, groupedView, rowsOfGroup } from './flatViews'
import type { HydrationState, ReplicaState, StorageState, SubscriptionState } from './reducer'

/** A store state that holds the replica under `reducerPath`. */
export type RootStateWith<P extends string, Rows extends Record<string, object>> = { [K in P]: ReplicaState<Rows> }

/**
 * Selectors of one collection, in the shape of `createEntityAdapter`'s.
 *
 * Cost: `selectById` and `selectTotal` are constant. The flat views (`selectAll`, `selectIds`,
 * `selectWhere`) keep their array until the collection changes; after a change they derive again
 * only the groups of shards the change touched, then concatenate (a pointer memcpy of the result:
 * about 1 ms at 10^5 rows, 10 ms at 10^6, mostly allocating the new array). `selectEntities` is a
 * read-only view made in constant time.
 */
export interface CollectionSelectors<S, T> {
  /**
   * Every row, in an unspecified but stable order; the same array until the collection changes.
   * @example const notes = useSelector(replica.selectors.note.selectAll)
   */
  selectAll(state: S): T[]
  /**
   * One row by primary key (`1` and `'1'` are the same key): a hash and a search of a few keys.
   * @example const note = useSelector((s: RootState) => replica.selectors.note.selectById(s, 7))
   */
  selectById(state: S, id: Key): T | undefined
  /**
   * Every primary key, in `selectAll`'s order; the same array until the collection changes.
   * @example const ids = useSelector(replica.selectors.note.selectIds)
   */
  selectIds(state: S): Key[]
  /**
   * Rows by key (as a string); the same object until the collection changes. A read-only view:
   * reading a key is a lookup, enumerating it (`Object.keys`, spread, `JSON.stringify`) lists the
   * keys once per state; it cannot be written, frozen or `structuredClone`d.
   * @example const byId = useSelector(replica.selectors.note.selectEntities); byId['7']?.body
   */
  selectEntities(state: S): Record<string, T>
  /**
   * Number of rows held.
   * @example const count = useSelector(replica.selectors.note.selectTotal)
   */
  selectTotal(state: S): number
  /**
   * Rows matching a filter, with the server's semantics (scalar: equality, array: IN). Memoized per
   * filter, so `useSelector((s) => selectWhere(s, { project_id: 7 }))` keeps its array until the
   * collection changes, although the filter object is new on each render.
   * @example const notes = useSelector((s: RootState) => replica.selectors.note.selectWhere(s, { project_id: 7 }))
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
  const memo = { memoize: lruMemoize, argsMemoize: lruMemoize } as const
  const allRows = groupedView<T, T>(rowsOfGroup)
  const allIds = groupedView<T, Key>((group) => rowsOfGroup(group).map((row) => (row as Record<string, unknown>)[primaryKey] as Key))
  // Per filter: its grouped view, and each shard's matching rows. Shards are immutable and shared
  // between states, so after a page only the shards it touched are filtered again; the rest are
  // looked up. A 10^6-row sync then costs each mounted view about a page's filtering per page.
  const filters = new Map<string, (entities: EntityState<T>) => T[]>()
  const whereView = (canonical: Filter) => {
    const byShard = new WeakMap<Shard<T>, readonly T[]>()
    const matching = (shard: Shard<T>) => {
      let rows = byShard.get(shard)
      if (!rows) byShard.set(shard, (rows = shard.rows.filter((row) => matchesFilter(row as Record<string, unknown>, canonical))))
      return rows
    }
    return groupedView<T, T>((group) => {
      let pieces: (readonly T[])[] | undefined
      for (const shard of group) {
        const rows = matching(shard)
        if (rows.length > 0) (pieces ??= []).push(rows)
      }
      return pieces === undefined ? [] : pieces.length === 1 ? (pieces[0] as readonly T[]) : ([] as T[]).concat(...pieces)
    })
  }
  return {
    selectAll: createSelector([select], allRows, memo),
    selectById: (state, id) => entityById(select(state), id),
    selectIds: createSelector([select], allIds, memo),
    selectEntities: createSelector([select], entitiesView, memo),
    selectTotal: (state) => select(state).total,
    selectWhere(state, filter) {
      const canonical = canonicalFilter(filter)
      const key = JSON.stringify(canonical)
      let view = filters.get(key)
      if (!view) {
        if (filters.size >= MAX_FILTERS) filters.clear()
        filters.set(key, (view = whereView(canonical)))
      }
      return view(select(state))
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
