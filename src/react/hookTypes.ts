import type { SerializedError } from '@reduxjs/toolkit'
import type { Filter, Key } from '../core/protocol'
import type { PushStatus, RejectedWrite } from '../core/writeTypes'
import type { SubscriptionStatus } from '../state/reducer'
import type { WriteState } from '../state/writesSelectors'
import type { SyncState } from '../state/syncSelectors'
import type { SkipToken } from './skipToken'

/** What `useSubscription` returns: the rows the subscription sees, and where its sync stands. */
export interface UseSubscriptionResult<T> {
  /** Rows of the collection matching the filter; the same array until they change. Empty when skipped. */
  data: T[]
  /** `idle` when skipped or not started yet. */
  status: SubscriptionStatus
  received: number
  remaining?: number
  lastSyncedAt?: string
  error?: SerializedError
  /** True when `skip` or `skipToken` holds the subscription back. */
  isSkipped: boolean
}

/** Options of `useSubscription`. */
export interface UseSubscriptionOptions<T, R> {
  /**
   * Poll this subscription every this many ms once caught up, for as long as this component is
   * mounted (the shortest interval of all subscribers wins; `0` asks for no polling).
   * @example useSubscription('note', { project_id }, { pollingInterval: 5_000 })
   */
  pollingInterval?: number
  /**
   * Seconds the subscription's rows and cursor stay stored after this component (and every other
   * subscriber of the scope) unmounts: a remount within the time fetches nothing again. `0`:
   * evicted at once; `Infinity`: never. Default: the replica's `keepUnusedDataFor` (60). The
   * longest time any subscriber of the scope asked for wins. See docs/eviction.md.
   * @example useSubscription('note', { project_id }, { keepUnusedDataFor: 300 })
   */
  keepUnusedDataFor?: number
  /**
   * Subscribe to nothing while true: no subscribe is dispatched, `data` is empty, `isSkipped` true.
   * @example useSubscription('note', { project_id }, { skip: project_id === undefined })
   */
  skip?: boolean
  /**
   * Picks what the component uses from the result; the component re-renders only when a field
   * of what it returns changes (compared shallowly, as RTK Query does).
   * @example const { count } = useSubscription('note', { project_id }, { selectFromResult: ({ data }) => ({ count: data.length }) })
   */
  selectFromResult?: (result: UseSubscriptionResult<T>) => R
}

/** Options of `useRow`. */
export interface UseRowOptions {
  /**
   * Also subscribe, while mounted, to a filter whose rows hold this one; without it the row is
   * only read from the store (some other subscription must bring it).
   * @example useRow('note', noteId, { subscribe: { id: noteId } })
   */
  subscribe?: Filter
  /**
   * Polling interval of that subscription, in ms.
   * @example useRow('note', noteId, { subscribe: { id: noteId }, pollingInterval: 10_000 })
   */
  pollingInterval?: number
  /**
   * Seconds that subscription's data stays stored once unused (see `UseSubscriptionOptions`).
   * @example useRow('note', noteId, { subscribe: { id: noteId }, keepUnusedDataFor: 0 })
   */
  keepUnusedDataFor?: number
}

/** What `useRow` returns. */
export interface UseRowResult<T> {
  /** The row as the store holds it (with local writes applied); undefined until it is there. */
  data: T | undefined
  /** Whether the row has writes waiting for the server. */
  pending: boolean
  /** The status of the `subscribe` filter's subscription; `idle` without one. */
  status: SubscriptionStatus
}

/** Names a write of `useSave`/`useRemove` and the row it wrote: give it to `useWriteStatus`. */
export interface WriteRef<K extends string = string> {
  collection: K
  /** The row's primary key (undefined if the row had none; the write is then rejected). */
  key: Key | undefined
  /**
   * The write's id (the action's `meta.writeId`): the mutation id it is sent under, unless it
   * joined a write of the same row not yet sent. Without it, `useWriteStatus` reports on the row.
   */
  id?: string
}

/** `useSave()`'s dispatcher: a whole row (insert or replace), or a patch of the row held. */
export interface SaveDispatcher<Rows extends Record<string, object>> {
  <K extends keyof Rows & string>(collection: K, row: Partial<Rows[K]>): WriteRef<K>
  <K extends keyof Rows & string>(collection: K, key: Key, patch: Partial<Rows[K]>): WriteRef<K>
}

/** `useRemove()`'s dispatcher. */
export type RemoveDispatcher<Rows extends Record<string, object>> = <K extends keyof Rows & string>(collection: K, key: Key) => WriteRef<K>

/** What `useWriteStatus` returns: about exactly that write when the ref has an `id`, else about the row. */
export interface WriteStatus {
  /**
   * `idle` without a write; else where it stands (`selectWriteStatus`): `pending`, `saved`,
   * `rejected` (refused and rolled back) or `overruled` (a conflict kept the server's row).
   * For a ref without an id: `pending` while the row has writes waiting, `rejected` while its
   * newest refused write is shown, else `saved`.
   */
  status: 'idle' | WriteState
  /** The write (or, without an id, any write of the row) waits for the server. */
  pending: boolean
  /** The refusal of this write (without an id: the newest of the row's), until dismissed. */
  rejected?: RejectedWrite
}

/** What `useSyncState` returns: `selectSyncState` plus the writes and the local database. */
export interface ReplicaSyncStatus extends SyncState {
  /** False while a pull or the push finds the server unreachable. */
  online: boolean
  /** A subscription is catching up, or writes are being pushed. */
  syncing: boolean
  /** Writes waiting for the server. */
  pendingWrites: number
  pushStatus: PushStatus
  /** `failing` while the local database cannot save (data is kept in memory and saves retried). */
  storage: 'ok' | 'failing'
}

export type FilterOrSkip = Filter | SkipToken
