import type { Middleware, Reducer, StoreEnhancer } from '@reduxjs/toolkit'
import type { CollectionConfig, RowsOf } from '../core/collection'
import { buildActions } from '../state/actions'
import type { ReplicaInternalActions, ReplicaPublicActions } from '../state/actions'
import { buildDevCheckOptions, buildDevTools } from '../state/devChecks'
import type { ReplicaDevCheckOptions, ReplicaDevTools } from '../state/devChecks'
import { buildEnhancer } from './enhancer'
import type { ReplicaStoreExt } from './enhancer'
import { buildMiddleware } from './middleware'
import { buildReducer } from '../state/reducer'
import type { ReplicaState } from '../state/reducer'
import { buildCollectionSelectors, buildReplicaSelectors } from '../state/selectors'
import type { CollectionSelectors, RootStateWith } from '../state/selectors'
import type { EntityState } from '../state/entityState'
import { memoryPersistence } from '../store/persistence'
import type { Persistence } from '../store/persistence'
import { buildSyncSelectors } from '../state/syncSelectors'
import { resolveLiveSyncOptions } from '../engines/liveOptions'
import { DEFAULT_KEEP_UNUSED_DATA_FOR } from '../engines/sync/eviction'
import type { LiveSyncOptions } from '../engines/liveOptions'
import type { Transport } from '../core/pullWire'
import type { PushTransport } from '../transport/httpPush'
import { buildWriteSelectors } from '../state/writesSelectors'
import type { ConflictDecision, ConflictInfo, ConflictOf } from '../core/writeTypes'

/** Options of `createReplica`; live-sync options (polling, retry, timeout, ...) are in {@link LiveSyncOptions}. */
export interface ReplicaOptions<Collections extends Record<string, CollectionConfig<object>>, Path extends string> extends LiveSyncOptions {
  /**
   * Where the replica's state sits in the store, and the prefix of its action types. Default `'replica'`.
   * @example createReplica({ reducerPath: 'offline', ... }) // state.offline, 'offline/subscribe'
   */
  reducerPath?: Path
  /**
   * The collections to replicate, by name. Each gets a generated reducer and selectors.
   * @example collections: { note: collection<Note>(), contact: {}, user: { primaryKey: 'uuid' } }
   */
  collections: Collections
  /**
   * How to reach the server.
   * @example transport: httpTransport({ url: 'http://localhost:3000/replica' })
   * @example transport: seedTransport({ url: '/offline/download_updated' })
   */
  transport: Transport
  /**
   * Where the local database lives. Default `memoryPersistence()` (nothing survives a reload).
   * A stored database that cannot be read, or was written in another format version, is kept
   * under another name, reported with `databaseSetAside`, and the replica starts empty. See
   * docs/persistence.md.
   * @example persistence: filePersistence('./data/replica.db') // Node
   * @example persistence: indexedDbPersistence('my-app')       // browsers
   * @example persistence: memoryPersistence()                  // tests
   */
  persistence?: Persistence
  /**
   * Longest time, in milliseconds, that applied pages wait before they are saved: a crash loses at
   * most this much of a sync (the next start resumes from the last saved cursor). Saves are
   * coalesced, never one per page; they also happen on `store.replica.flush()`, `close()`, when a
   * subscription first catches up, and in browsers on `pagehide` and when the page becomes hidden.
   * When saves are slow (a large file database), a timed save also waits 4x the last save's
   * duration, so saving never takes more than about a fifth of the thread. Default 1000.
   * @example saveInterval: 250 // save more often, at more cost during long syncs
   */
  saveInterval?: number
  /**
   * Rows asked for per page. Default 250, as in the 2015 design; the server may cap it.
   * @example pageSize: 1000
   */
  pageSize?: number
  /**
   * The clock, in milliseconds since the epoch. Default `Date.now`; swap it in tests.
   * @example now: () => fakeClock.now()
   */
  now?: () => number
  /**
   * Where local writes (`save`, `remove`) are pushed. Default: the `transport` itself if it has a
   * `push` method; without either, writes are refused with `no_push_transport`. See docs/writes.md.
   * @example push: httpPushTransport({ url: 'http://localhost:3000/replica' })
   */
  push?: PushTransport
  /**
   * Decides a conflict (the server's row changed since the local write's base). It is told the
   * `base` the write was made on, the `local` row and the `server` row, typed by `collection`.
   * `'server'` (the default) drops the local write and shows the server's row; `'client'` sends the
   * local row again, based on the server's version; a row sends that row instead. Must be
   * synchronous. `mergeFields()` is a field-level three-way merge. See docs/writes.md.
   * @example onConflict: mergeFields() // each side's edits to different fields are both kept
   * @example onConflict: ({ local, server }) => (local && server ? { ...server, body: local.body } : 'server')
   */
  onConflict?: (conflict: ConflictOf<RowsOf<Collections>>) => ConflictDecision<RowsOf<Collections>[keyof Collections]>
  /**
   * Most writes per push request. Default 100.
   * @example pushBatchSize: 20
   */
  pushBatchSize?: number
  /**
   * Seconds a scope's rows and cursor stay stored once its last subscriber leaves, as RTK Query's
   * option of that name: a subscriber back within the time resumes from the cursor and fetches
   * nothing again; after it, the rows no other stored subscription holds or shows, and that have no
   * pending writes, leave the local database and Redux (`evicted`). Scopes stored by an earlier
   * run go too when nobody subscribes to them within this time of the start. `0`: at once;
   * `Infinity`: never. A subscribe may ask for its own. Default 60. See docs/eviction.md.
   * @example keepUnusedDataFor: 300 // five minutes
   * @example keepUnusedDataFor: Infinity // never evict
   */
  keepUnusedDataFor?: number
}

export interface Replica<Collections extends Record<string, CollectionConfig<object>>, Path extends string> {
  reducerPath: Path
  reducer: Reducer<ReplicaState<RowsOf<Collections>>>
  middleware: Middleware
  enhancer: StoreEnhancer<ReplicaStoreExt>
  /** What an app dispatches: `subscribe`, `unsubscribe`, `save`, `remove`, `dismissRejectedWrite`. */
  actions: ReplicaPublicActions
  /**
   * What the replica dispatches itself (hydration, sync status, pages, storage and push reports):
   * listen to them (a listener middleware, a test), never dispatch them, as with RTK Query's
   * `internalActions`.
   * @example
   * listenerMiddleware.startListening({ actionCreator: replica.internalActions.repaired, effect: ({ payload }) => report(payload.key) })
   */
  internalActions: ReplicaInternalActions
  /**
   * `getDefaultMiddleware` options that keep RTK's serializable and immutable checks on
   * everywhere except over the replica's rows (which are plain JSON, never mutated), so a
   * development build stays fast and quiet at 10,000 rows and beyond. Spread it to add your own.
   * @example
   * configureStore({ reducer, middleware: (gDM) => gDM(replica.devCheckOptions).concat(replica.middleware) })
   * @example
   * gDM({ ...replica.devCheckOptions, thunk: { extraArgument: api } })
   */
  devCheckOptions: ReplicaDevCheckOptions
  /**
   * Redux DevTools sanitizers: each collection shows as `{ total, ids }` (the first 50 ids,
   * `more` counting the rest), a page's rows as counts. Only what DevTools displays changes.
   * @example
   * configureStore({ reducer, middleware, enhancers, devTools: replica.devTools })
   * @example
   * devTools: { ...replica.devTools, name: 'notes app', maxAge: 100 }
   */
  devTools: ReplicaDevTools
  /**
   * Each collection's primary key field, as configured (default `'id'`): what names a row a
   * write touched.
   * @example replica.primaryKeys.user // 'uuid'
   */
  primaryKeys: { readonly [K in keyof Collections]: string }
  selectors: {
    [K in keyof Collections]: CollectionSelectors<RootStateWith<Path, RowsOf<Collections>>, RowsOf<Collections>[K]>
  } & ReturnType<typeof buildReplicaSelectors<RootStateWith<Path, RowsOf<Collections>>>>
    & ReturnType<typeof buildSyncSelectors<RootStateWith<Path, RowsOf<Collections>>>>
    & ReturnType<typeof buildWriteSelectors<RootStateWith<Path, RowsOf<Collections>>>>
}

/** Collection names that would clash with the store-wide selectors or the local store's own tables. */
const RESERVED = /^(_replica|__proto__$|selectSubscription$|selectSubscriptions$|selectHydration$|selectStorage$|selectSyncState$|selectWrites$|selectPendingWrites$|selectIsPending$|selectRejectedWrites$)/

/**
 * Builds everything a store needs to replicate server data: reducer, middleware, enhancer,
 * actions and selectors, in the manner of RTK Query's `createApi`.
 *
 * @example
 * const replica = createReplica({ collections: { note: collection<Note>() }, transport: httpTransport({ url }) })
 * const store = configureStore({
 *   reducer: { [replica.reducerPath]: replica.reducer },
 *   middleware: (gDM) => gDM().concat(replica.middleware),
 *   enhancers: (gDE) => gDE().concat(replica.enhancer),
 * })
 * store.dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: 7 } }))
 */
export function createReplica<
  const Collections extends Record<string, CollectionConfig<object>>,
  const Path extends string = 'replica',
>(options: ReplicaOptions<Collections, Path>): Replica<Collections, Path> {
  const reducerPath = (options.reducerPath ?? 'replica') as Path
  const pageSize = options.pageSize ?? 250
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new TypeError(`pageSize must be a positive integer, got ${pageSize}`)
  if (options.saveInterval !== undefined && !(options.saveInterval >= 0 && Number.isFinite(options.saveInterval))) {
    throw new TypeError(`saveInterval must be a finite number of milliseconds >= 0, got ${options.saveInterval}`)
  }
  const names = Object.keys(options.collections)
  if (names.length === 0) throw new TypeError('createReplica needs at least one collection')
  const reserved = names.find((name) => RESERVED.test(name))
  if (reserved) throw new TypeError(`"${reserved}" cannot name a collection: the replica uses it itself`)
  const live = resolveLiveSyncOptions(options)
  const primaryKeys = Object.fromEntries(
    names.map((name) => [name, (options.collections[name] as CollectionConfig<object>).primaryKey ?? 'id']),
  ) as { [K in keyof Collections]: string }

  const { actions: publicActions, internalActions, slices } = buildActions(reducerPath)
  const actions = { ...publicActions, ...internalActions }
  const selectState = (state: RootStateWith<Path, RowsOf<Collections>>) => state[reducerPath]
  const collectionSelectors = Object.fromEntries(
    names.map((name) => [name, buildCollectionSelectors((state: RootStateWith<Path, RowsOf<Collections>>) => selectState(state).collections[name] as EntityState<object>, primaryKeys[name] as string)]),
  )

  const pushBatchSize = options.pushBatchSize ?? 100
  if (!Number.isInteger(pushBatchSize) || pushBatchSize < 1) throw new TypeError(`pushBatchSize must be a positive integer, got ${pushBatchSize}`)
  const eviction = resolveEviction(options.keepUnusedDataFor, options.collections)
  const { middleware, internalsOf } = buildMiddleware({
    actions,
    transport: options.transport,
    push: options.push ?? (typeof (options.transport as Partial<PushTransport>).push === 'function' ? (options.transport as unknown as PushTransport) : undefined),
    persistence: options.persistence ?? memoryPersistence(),
    primaryKeys: primaryKeys as Record<string, string>,
    pageSize,
    saveInterval: options.saveInterval,
    pushBatchSize,
    // Typed by collection for the app; the engine hands it rows of the collection it names.
    onConflict: options.onConflict as ((conflict: ConflictInfo) => ConflictDecision) | undefined,
    now: options.now ?? Date.now,
    live,
    eviction,
  })

  return {
    reducerPath,
    reducer: buildReducer<RowsOf<Collections>>(actions, slices, primaryKeys as { [K in keyof Collections]: string }),
    middleware,
    enhancer: buildEnhancer(internalsOf),
    actions: publicActions,
    internalActions,
    devCheckOptions: buildDevCheckOptions(reducerPath),
    devTools: buildDevTools(reducerPath, primaryKeys as Record<string, string>),
    primaryKeys,
    selectors: {
      ...collectionSelectors,
      ...buildReplicaSelectors(selectState as never),
      ...buildSyncSelectors(selectState as never),
      ...buildWriteSelectors(selectState as never),
    } as Replica<Collections, Path>['selectors'],
  }
}

/** `keepUnusedDataFor` and each collection's `maxRows`, checked. */
function resolveEviction(keepUnusedDataFor: number | undefined, collections: Record<string, CollectionConfig<object>>) {
  const keep = keepUnusedDataFor ?? DEFAULT_KEEP_UNUSED_DATA_FOR
  if (typeof keep !== 'number' || !(keep >= 0)) throw new TypeError(`keepUnusedDataFor must be a number of seconds >= 0 (or Infinity), got ${String(keep)}`)
  const maxRows: Record<string, number> = {}
  for (const [name, config] of Object.entries(collections)) {
    const max = config.maxRows
    if (max === undefined) continue
    if (!Number.isInteger(max) || max < 0) throw new TypeError(`maxRows of "${name}" must be an integer >= 0, got ${String(max)}`)
    maxRows[name] = max
  }
  return { keepUnusedDataFor: keep, maxRows }
}
