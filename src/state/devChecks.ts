import type { Action, ImmutableStateInvariantMiddlewareOptions, SerializableStateInvariantMiddlewareOptions } from '@reduxjs/toolkit'
import type { EntityState } from './entityState'

/**
 * Options for RTK's `getDefaultMiddleware` that keep its development checks on everywhere except
 * over the replica's rows. Those checks walk the whole state (and every action) on each dispatch:
 * over 10,000 rows that is tens of milliseconds an action, and each slow one prints an
 * "ImmutableStateInvariantMiddleware took N ms" warning. The replica's rows are plain JSON that
 * the reducer never mutates (its own tests run with the checks on over every row), so skipping
 * them loses nothing; the rest of the app's state and actions are still checked.
 */
export interface ReplicaDevCheckOptions {
  serializableCheck: SerializableStateInvariantMiddlewareOptions & { ignoredPaths: string[]; ignoredActionPaths: Array<string | RegExp> }
  immutableCheck: ImmutableStateInvariantMiddlewareOptions & { ignoredPaths: string[] }
}

export function buildDevCheckOptions(reducerPath: string): ReplicaDevCheckOptions {
  const rows = `${reducerPath}.collections`
  return {
    serializableCheck: {
      ignoredPaths: [rows],
      ignoredActionPaths: [
        // RTK's own defaults, which passing a list replaces (RTK Query's args and metadata).
        'meta.arg',
        'meta.baseQueryMeta',
        // Rows in the replica's actions: a page, a hydrated collection, a settled push; and the
        // keys an eviction removed (all of a scope's, possibly 100,000: checked keys, plain data).
        'payload.upserted',
        'payload.rows',
        'payload.state',
        'payload.removed',
        /^payload\.changes\.\d+\.upserted$/,
      ],
    },
    immutableCheck: { ignoredPaths: [rows] },
  }
}

/** Sanitizers for Redux DevTools (configureStore's `devTools` option); see {@link buildDevTools}. */
export interface ReplicaDevTools {
  stateSanitizer: <S>(state: S, index: number) => S
  actionSanitizer: <A extends Action>(action: A, id: number) => A
}

/** Ids shown per collection in DevTools; the rest are counted. */
export const DEVTOOLS_IDS_SHOWN = 50

/**
 * Redux DevTools serializes the whole state and each action into its panel: 65,536 shards per
 * collection (2,048 groups of 32) and 250 rows per page make it slow and unreadable. These show
 * each collection as `{ total, ids }` (the first {@link DEVTOOLS_IDS_SHOWN} ids) and a page's rows (or an eviction's
 * keys) as counts.
 * The store itself is untouched; only what DevTools displays changes.
 */
export function buildDevTools(reducerPath: string, primaryKeys: Record<string, string>): ReplicaDevTools {
  const prefix = `${reducerPath}/`
  const stateSanitizer = (state: unknown): unknown => {
    const replica = (state as Record<string, unknown> | null)?.[reducerPath] as { collections?: Record<string, EntityState<Record<string, unknown>>> } | undefined
    if (!replica?.collections) return state
    const collections = Object.fromEntries(
      Object.entries(replica.collections).map(([name, entities]) => [name, summarize(entities, primaryKeys[name] ?? 'id')]),
    )
    return { ...(state as object), [reducerPath]: { ...replica, collections } }
  }
  const actionSanitizer = (action: Action): Action => {
    if (!action.type.startsWith(prefix)) return action
    const payload = (action as Action & { payload?: unknown }).payload as Record<string, unknown> | undefined
    const built = payload?.state as EntityState<unknown> | undefined
    if (!payload || (!Array.isArray(payload.upserted) && !Array.isArray(payload.rows) && !Array.isArray(payload.removed) && !built)) return action
    const counted = { ...payload }
    if (built) counted.state = `${built.total} rows`
    for (const field of ['upserted', 'removed', 'rows'] as const) {
      const value = payload[field]
      if (Array.isArray(value)) counted[field] = `${value.length} ${field === 'removed' ? 'keys' : 'rows'}`
    }
    return { ...action, payload: counted } as Action
  }
  return { stateSanitizer, actionSanitizer } as ReplicaDevTools
}

function summarize(entities: EntityState<Record<string, unknown>>, primaryKey: string) {
  const ids: unknown[] = []
  for (const group of entities.groups) {
    for (const shard of group) {
      for (const row of shard.rows) {
        if (ids.length === DEVTOOLS_IDS_SHOWN) return { total: entities.total, ids, more: entities.total - ids.length }
        ids.push(row[primaryKey])
      }
    }
  }
  return { total: entities.total, ids }
}
