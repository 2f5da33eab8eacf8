import { createAction } from '@reduxjs/toolkit'
import { randomId } from '../core/ids'
import type { SubscribeOptions } from '../core/scope'
import type { Row } from '../core/pullWire'
import type { RemovePayload, SavePayload } from '../core/writeTypes'
import type { EntityState } from './entityState'
import { buildHydrationSlice, buildStorageSlice } from './lifecycleSlices'
import { buildSubscriptionsSlice } from './subscriptionsSlice'
import { buildWritesSlice } from './writesSlice'

export type { EvictedPayload, HydratedSubscription, PageAppliedPayload } from './subscriptionsSlice'

/**
 * The replica's actions, their types prefixed with the reducer path (default `replica/`), all plain
 * and serializable. `actions` are an app's to dispatch; `internalActions` are what the replica
 * dispatches itself (an app may listen to them, never dispatch them), each owned by the slice
 * whose state it changes (./subscriptionsSlice.ts, ./lifecycleSlices.ts, ./writesSlice.ts).
 */
export function buildActions(reducerPath: string) {
  const type = (name: string) => `${reducerPath}/${name}`
  /**
   * Ask for a collection's rows matching a filter; kept in sync until this subscriber's
   * `unsubscribe`. Each subscribe action carries `meta.subscriberId` (made here when not given):
   * pass it to `unsubscribe` so exactly this registration (its polling interval) is released.
   * @example
   * const { meta } = dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: 7 } }))
   * dispatch(replica.actions.unsubscribe({ collection: 'note', filter: { project_id: 7 } }, meta.subscriberId))
   * @example dispatch(replica.actions.subscribe({ collection: 'note', filter: { project_id: 7 }, pollingInterval: 5_000 }, 'notes-panel'))
   */
  const subscribe = createAction(type('subscribe'), (options: SubscribeOptions, subscriberId?: string) => ({
    payload: options,
    meta: { subscriberId: subscriberId ?? randomId() },
  }))
  /**
   * Write a row: insert, or replace the row with the same primary key. It lands in the local
   * database and in Redux at once, and is pushed to the server when it can be reached
   * (docs/writes.md). Rows created offline need ids made on the client, e.g. `newId()`.
   * The patch form changes some fields of the row held. The action carries `meta.writeId`, the
   * id of this write (its mutation id, unless it joins a write of the row not yet sent), for
   * `selectWriteStatus` and `useWriteStatus`.
   * @example dispatch(replica.actions.save({ collection: 'note', row: { id: newId(), project_id: 7, body: 'hi' } }))
   * @example const { meta } = dispatch(replica.actions.save({ collection: 'note', key: noteId, patch: { body: 'edited' } }))
   */
  const save = createAction(type('save'), (payload: SavePayload) => ({ payload, meta: { writeId: randomId() } }))
  /**
   * Delete a row, locally at once and on the server when it can be reached. Carries
   * `meta.writeId` as `save` does.
   * @example dispatch(replica.actions.remove({ collection: 'note', key: noteId }))
   */
  const remove = createAction(type('remove'), (payload: RemovePayload) => ({ payload, meta: { writeId: randomId() } }))
  const slices = {
    subscriptions: buildSubscriptionsSlice(reducerPath, subscribe),
    hydration: buildHydrationSlice(reducerPath),
    storage: buildStorageSlice(reducerPath),
    writes: buildWritesSlice(reducerPath, [save, remove]),
  }
  const { dismissRejectedWrite, ...writeReports } = slices.writes.actions
  const actions = {
    subscribe,
    /**
     * Release one `subscribe`: pass what was subscribed and the subscribe action's
     * `meta.subscriberId`. Without an id (a hand-written action), the registration with the same
     * polling interval is released, else the newest. The sync stops when none is left.
     * @example dispatch(replica.actions.unsubscribe({ collection: 'note', filter: { project_id: 7 } }, subscriberId))
     */
    unsubscribe: createAction(type('unsubscribe'), (options: SubscribeOptions, subscriberId?: string) => ({
      payload: options,
      meta: (subscriberId === undefined ? {} : { subscriberId }) as { subscriberId?: string },
    })),
    save,
    remove,
    dismissRejectedWrite,
  }
  const internalActions = {
    /**
     * Stored rows of one collection, loaded at start: the collection's state is replaced by them.
     * Either the rows (the reducer builds the state: one task, O(rows)) or the state already built
     * from them in slices off the reducer (redux/hydrate.ts does that, so that hydrating 100,000
     * rows holds the thread for no long task; the reducer then only takes it).
     */
    hydrateCollection: createAction<{ collection: string } & ({ rows: Row[] } | { state: EntityState<Row> })>(type('hydrateCollection')),
    ...slices.hydration.actions,
    ...slices.subscriptions.actions,
    ...slices.storage.actions,
    ...writeReports,
  }
  return { actions, internalActions, slices }
}

type Built = ReturnType<typeof buildActions>
/** What an app dispatches: `subscribe`, `unsubscribe`, `save`, `remove`, `dismissRejectedWrite`. */
export type ReplicaPublicActions = Built['actions']
/** What the replica dispatches itself: hydration, sync and storage reports, the write engine's reports. */
export type ReplicaInternalActions = Built['internalActions']
/** Every action creator, as the engines and reducers use them. */
export type ReplicaActions = ReplicaPublicActions & ReplicaInternalActions
export type ReplicaSlices = Built['slices']
