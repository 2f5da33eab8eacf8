import { createAction } from '@reduxjs/toolkit'
import type { SerializedError } from '@reduxjs/toolkit'
import type { Filter, Key } from '../protocol'
import type { Scope, SubscribeOptions } from '../subscriptions/scope'
import type { Row } from '../sync/transport'
import type { StorageRole } from '../store/webLock'
import type { Settlement } from '../writes/outboxStore'
import type { CollectionChange, PendingCount, PushStatus, RejectedWrite, RemovePayload, SavePayload } from '../writes/types'

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
 * The replica's action creators, their types prefixed with the reducer path (default `replica/`).
 * All are plain and serializable; the middleware acts on `subscribe` and `unsubscribe`.
 */
export function buildActions(reducerPath: string) {
  const type = (name: string) => `${reducerPath}/${name}`
  return {
    /**
     * Ask for a collection's rows matching a filter; kept in sync until a matching `unsubscribe`.
     * @example dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: 7 } }))
     * @example dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: 7 }, pollingInterval: 5_000 }))
     */
    subscribe: createAction<SubscribeOptions>(type('subscribe')),
    /**
     * Release one `subscribe` (pass what was subscribed); the sync stops when none is left.
     * @example dispatch(replica.actions.unsubscribe({ collection: 'note', filter: { project_id: 7 } }))
     */
    unsubscribe: createAction<SubscribeOptions>(type('unsubscribe')),
    /** Stored rows of one collection, loaded at start. */
    hydrateCollection: createAction<{ collection: string; rows: Row[] }>(type('hydrateCollection')),
    /** Hydration finished (or failed, with an error): local data is in Redux. */
    hydrated: createAction<{ error?: SerializedError }>(type('hydrated')),
    /** Subscriptions stored with the data, loaded at start: counts and last sync restored, status `idle`. */
    hydrateSubscriptions: createAction<{ subscriptions: HydratedSubscription[] }>(type('hydrateSubscriptions')),
    /**
     * The stored database could not be used (unreadable, or another format version): it was kept
     * under `movedTo` and the replica started empty; subscriptions resync from the beginning.
     * @example
     * listenerMiddleware.startListening({ actionCreator: replica.actions.databaseSetAside, effect: ({ payload }) => report(payload.error) })
     */
    databaseSetAside: createAction<{ reason: 'unreadable' | 'incompatible'; movedTo: string; error: SerializedError }>(type('databaseSetAside')),
    /** A save of the local database failed; changes stay in memory and the save is retried. */
    storageFailed: createAction<{ error: SerializedError }>(type('storageFailed')),
    /** A save succeeded after a failure. */
    storageRecovered: createAction(type('storageRecovered')),
    /**
     * Whether this tab writes the local database (`leader`) or another tab does (`follower`: its
     * changes stay in memory until it takes the lead). Dispatched when the database opens, and
     * when a follower becomes the leader. See docs/persistence.md, "One writer per origin".
     * @example
     * listenerMiddleware.startListening({ actionCreator: replica.actions.roleChanged, effect: ({ payload }) => log(payload.role) })
     */
    roleChanged: createAction<{ role: StorageRole }>(type('roleChanged')),
    /** A subscription's pull started (status `syncing`). */
    syncStarted: createAction<{ key: string }>(type('syncStarted')),
    /**
     * One page applied to the local store: its rows upserted and removed in Redux, the
     * subscription's counts updated. One action per page, never one per row.
     * @example
     * listenerMiddleware.startListening({ actionCreator: replica.actions.pageApplied, effect: ({ payload }) => log(payload.received) })
     */
    pageApplied: createAction<PageAppliedPayload>(type('pageApplied')),
    /** The subscription caught up with the server (status `synced`). */
    syncSucceeded: createAction<{ key: string; at: string }>(type('syncSucceeded')),
    /**
     * A digest check found the subscription's rows diverged from the server's and repaired them
     * (rows put in or replaced, rows taken out). Counted in `selectSubscription(...).repairs`.
     * @example
     * listenerMiddleware.startListening({ actionCreator: replica.actions.repaired, effect: ({ payload }) => alert(`replica repaired: ${payload.key}`) })
     */
    repaired: createAction<{ key: string; upserted: number; removed: number; at: string }>(type('repaired')),
    /** The subscription waits for the network (status `offline`); it resumes by itself. */
    syncOffline: createAction<{ key: string }>(type('syncOffline')),
    /** The subscription failed (status `error`). */
    syncFailed: createAction<{ key: string; error: SerializedError }>(type('syncFailed')),
    /** The subscription is not running any more (status back to `idle` unless it failed). */
    syncStopped: createAction<{ key: string }>(type('syncStopped')),
    /**
     * Write a row: insert, or replace the row with the same primary key. It lands in the local
     * database and in Redux at once, and is pushed to the server when it can be reached
     * (docs/writes.md). Rows created offline need ids made on the client, e.g. `crypto.randomUUID()`.
     * The patch form changes some fields of the row held.
     * @example dispatch(replica.actions.save({ collection: 'note', row: { id: crypto.randomUUID(), project_id: 7, body: 'hi' } }))
     * @example dispatch(replica.actions.save({ collection: 'note', key: noteId, patch: { body: 'edited' } }))
     */
    save: createAction<SavePayload>(type('save')),
    /**
     * Delete a row, locally at once and on the server when it can be reached.
     * @example dispatch(replica.actions.remove({ collection: 'note', key: noteId }))
     */
    remove: createAction<RemovePayload>(type('remove')),
    /** A local write is in the local database and its outbox: Redux shows it (optimistic). */
    writeQueued: createAction<{ id?: string; change: CollectionChange; pending: PendingCount }>(type('writeQueued')),
    /** A write could not be queued (bad input) or the server refused it: kept in `writes.rejected`. */
    writeRejected: createAction<RejectedWrite>(type('writeRejected')),
    /** The server answered a batch of writes: canonical rows, conflicts resolved, refusals rolled back. */
    pushSettled: createAction<Settlement>(type('pushSettled')),
    /** The push loop's health: `pushing`, `idle` (nothing to push), `offline`, `error` (retrying). */
    pushStatus: createAction<{ status: PushStatus; error?: SerializedError }>(type('pushStatus')),
    /** Pending writes found in the local database at start. */
    hydrateWrites: createAction<{ pending: PendingCount[] }>(type('hydrateWrites')),
    /**
     * Forget refused writes shown in `writes.rejected`: one by mutation id, or all without one.
     * @example dispatch(replica.actions.dismissRejectedWrite({ id }))
     */
    dismissRejectedWrite: createAction<{ id?: string }>(type('dismissRejectedWrite')),
  }
}

export type ReplicaActions = ReturnType<typeof buildActions>
