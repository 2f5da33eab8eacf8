import { useCallback } from 'react'
import { shallowEqual, useDispatch, useSelector } from 'react-redux'
import type { CollectionConfig, RowsOf } from '../core/collection'
import type { Filter, Key } from '../core/protocol'
import type { Replica } from '../redux/createReplica'
import type { StorageState, SubscriptionState } from '../state/reducer'
import type { SyncState } from '../state/syncSelectors'
import type { WritesState } from '../state/writesSlice'
import type { RejectedWrite } from '../core/writeTypes'
import type { WriteState } from '../state/writesSelectors'
import { useReplicaStore } from './replicaStore'
import { skipToken } from './skipToken'
import type { SkipToken } from './skipToken'
import { useScope, useScopeSubscription } from './useScopeSubscription'
import type {
  RemoveDispatcher, ReplicaSyncStatus, SaveDispatcher, UseRowOptions, UseRowResult, UseSubscriptionOptions,
  UseSubscriptionResult, WriteRef, WriteStatus,
} from './hookTypes'

const NO_ROWS: never[] = []

export interface ReplicaHooks<Collections extends Record<string, CollectionConfig<object>>> {
  /**
   * Subscribes while the component is mounted and returns the matching rows and the sync status.
   * The filter may be a new object on every render: only its canonical form counts.
   * @example const { data: notes, status } = useSubscription('note', { project_id: projectId })
   * @example useSubscription('note', projectId === undefined ? skipToken : { project_id: projectId })
   * @example const { total } = useSubscription('note', {}, { selectFromResult: ({ data }) => ({ total: data.length }) })
   * @example useSubscription('note', { project_id: projectId }, { keepUnusedDataFor: 0 }) // evicted at unmount
   */
  useSubscription<K extends keyof Collections & string, R = UseSubscriptionResult<RowsOf<Collections>[K]>>(
    collection: K,
    filter?: Filter | SkipToken,
    options?: UseSubscriptionOptions<RowsOf<Collections>[K], R>,
  ): R
  /**
   * One row by primary key, read from the store; subscribes only when `subscribe` is given.
   * @example const { data: note, pending } = useRow('note', noteId)
   */
  useRow<K extends keyof Collections & string>(collection: K, key: Key | SkipToken, options?: UseRowOptions): UseRowResult<RowsOf<Collections>[K]>
  /**
   * A dispatcher of `save`, returning the write's id and which row it wrote.
   * @example const save = useSave(); const written = save('note', { id: newId(), body: 'hi' }) // { collection, key, id }
   */
  useSave(): SaveDispatcher<RowsOf<Collections>>
  /**
   * A dispatcher of `remove`, returning the write's id and which row it removed.
   * @example const remove = useRemove(); const removal = remove('note', note.id)
   */
  useRemove(): RemoveDispatcher<RowsOf<Collections>>
  /**
   * Where one write of `useSave`/`useRemove` stands: `pending`, `saved`, `rejected` (with the
   * refusal) or `overruled`; `idle` for undefined.
   * @example const { status, rejected } = useWriteStatus(written)
   */
  useWriteStatus(write: WriteRef | undefined): WriteStatus
  /**
   * The replica's overall state, for an app's sync indicator.
   * @example const { online, syncing, pendingWrites, storage } = useSyncState()
   */
  useSyncState(): ReplicaSyncStatus
}

/**
 * Builds typed hooks for a replica, in the manner of RTK Query's generated hooks. Use inside a
 * react-redux `<Provider>` whose store has the replica's reducer, middleware and enhancer (a store
 * without them throws a clear error at the first render).
 * @example export const { useSubscription, useRow, useSave, useRemove, useWriteStatus, useSyncState } = createReplicaHooks(replica)
 */
export function createReplicaHooks<Collections extends Record<string, CollectionConfig<object>>, Path extends string>(
  replica: Replica<Collections, Path>,
): ReplicaHooks<Collections> {
  // Inside, rows are plain objects and the state is the store's: the types are the public signatures'.
  const generic = replica as unknown as Replica<Record<string, CollectionConfig<object>>, string>
  const selectors = replica.selectors as unknown as Record<string, { selectWhere(s: unknown, f: Filter): object[]; selectById(s: unknown, k: Key): object | undefined }> & {
    selectSubscription(s: unknown, scope: { collection: string; filter?: Filter }): SubscriptionState
  }
  const global = replica.selectors as unknown as {
    selectSyncState(s: unknown): SyncState
    selectWrites(s: unknown): WritesState
    selectStorage(s: unknown): StorageState
    selectIsPending(s: unknown, collection: string, key: Key): boolean
    selectRejectedWrites(s: unknown): RejectedWrite[]
    selectWriteStatus(s: unknown, writeId: string): WriteState
  }
  const collectionSelectors = (collection: string) => (Object.hasOwn(replica.selectors, collection) ? selectors[collection] : undefined)

  function useSubscription(collection: string, filter?: Filter | SkipToken, options: UseSubscriptionOptions<object, unknown> = {}) {
    useReplicaStore(generic)
    const skipped = options.skip === true || filter === skipToken
    const scope = useScope(collection, filter === skipToken ? undefined : filter, skipped)
    useScopeSubscription(generic, scope, options)
    const { selectFromResult } = options
    // One selector for the whole result, compared shallowly: the component re-renders only when a
    // field of what it returns (the whole result, or what selectFromResult picks) changes.
    return useSelector((state: unknown) => {
      let result: UseSubscriptionResult<object>
      if (scope === undefined) result = { data: NO_ROWS, status: 'idle', received: 0, isSkipped: true }
      else {
        // An unconfigured collection renders no rows; the subscribe puts its error in state.
        const data = collectionSelectors(collection)?.selectWhere(state, scope.filter ?? {}) ?? NO_ROWS
        const { status, received, remaining, lastSyncedAt, error } = selectors.selectSubscription(state, scope)
        result = { data, status, received, remaining, lastSyncedAt, error, isSkipped: false }
      }
      return selectFromResult ? selectFromResult(result) : result
    }, shallowEqual)
  }

  function useRow(collection: string, key: Key | SkipToken, options: UseRowOptions = {}): UseRowResult<object> {
    useReplicaStore(generic)
    const scope = useScope(collection, options.subscribe, options.subscribe === undefined || key === skipToken)
    useScopeSubscription(generic, scope, options)
    return useSelector((state: unknown): UseRowResult<object> => {
      if (key === skipToken) return { data: undefined, pending: false, status: 'idle' }
      return {
        data: collectionSelectors(collection)?.selectById(state, key),
        pending: global.selectIsPending(state, collection, key),
        status: scope === undefined ? 'idle' : selectors.selectSubscription(state, scope).status,
      }
    }, shallowEqual)
  }

  function useSave() {
    useReplicaStore(generic)
    const dispatch = useDispatch()
    return useCallback((collection: string, rowOrKey: object | Key, patch?: object): WriteRef => {
      if (patch !== undefined) {
        const { meta } = dispatch(replica.actions.save({ collection, key: rowOrKey as Key, patch: patch as Record<string, unknown> }))
        return { collection, key: rowOrKey as Key, id: meta.writeId }
      }
      const row = rowOrKey as Record<string, unknown>
      const { meta } = dispatch(replica.actions.save({ collection, row }))
      const primaryKey = Object.hasOwn(replica.primaryKeys, collection) ? replica.primaryKeys[collection] : 'id'
      return { collection, key: row[primaryKey as string] as Key | undefined, id: meta.writeId }
    }, [dispatch]) as SaveDispatcher<RowsOf<Collections>>
  }

  function useRemove() {
    useReplicaStore(generic)
    const dispatch = useDispatch()
    return useCallback((collection: string, key: Key): WriteRef => {
      const { meta } = dispatch(replica.actions.remove({ collection, key }))
      return { collection, key, id: meta.writeId }
    }, [dispatch]) as RemoveDispatcher<RowsOf<Collections>>
  }

  function useWriteStatus(write: WriteRef | undefined): WriteStatus {
    useReplicaStore(generic)
    return useSelector((state: unknown): WriteStatus => {
      if (write?.id !== undefined) {
        const { id } = write
        const status = global.selectWriteStatus(state, id)
        const rejected = status === 'rejected' ? global.selectRejectedWrites(state).find((r) => r.id === id || r.writeIds?.includes(id)) : undefined
        return rejected ? { status, pending: false, rejected } : { status, pending: status === 'pending' }
      }
      if (write?.key === undefined) return { status: 'idle', pending: false }
      const { collection, key } = write
      const pending = global.selectIsPending(state, collection, key)
      const rejected = global.selectRejectedWrites(state).findLast((w) => w.collection === collection && w.key !== undefined && String(w.key) === String(key))
      const status = pending ? 'pending' : rejected ? 'rejected' : 'saved'
      return rejected ? { status, pending, rejected } : { status, pending }
    }, shallowEqual)
  }

  function useSyncState(): ReplicaSyncStatus {
    useReplicaStore(generic)
    return useSelector((state: unknown): ReplicaSyncStatus => {
      const sync = global.selectSyncState(state)
      const writes = global.selectWrites(state)
      return {
        ...sync,
        online: sync.counts.offline === 0 && writes.status !== 'offline',
        syncing: sync.counts.syncing > 0 || writes.status === 'pushing',
        pendingWrites: writes.total,
        pushStatus: writes.status,
        storage: global.selectStorage(state).status,
      }
    }, shallowEqual)
  }

  return { useSubscription, useRow, useSave, useRemove, useWriteStatus, useSyncState } as ReplicaHooks<Collections>
}
