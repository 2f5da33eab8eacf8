import type { UnknownAction } from '@reduxjs/toolkit'
import type { Key } from '../core/protocol'
import type { Row } from '../core/pullWire'
import type { StoreInternals } from './internals'

/**
 * The middleware's handlers, one concern each, in the manner of RTK Query's `buildMiddleware`.
 * Each sees every action after the reducers did, and hands what concerns it to the engines.
 */
export type Handler = (action: UnknownAction, internals: StoreInternals) => void

/** `subscribe` and `unsubscribe` go to the sync engine, with the subscriber's id. */
export const subscriptionsHandler: Handler = (action, { setup: { actions }, sync }) => {
  if (actions.subscribe.match(action)) sync.subscribe(action.payload, action.meta.subscriberId)
  else if (actions.unsubscribe.match(action)) sync.unsubscribe(action.payload, action.meta.subscriberId)
}

/** A caught-up subscription's time goes to the local store too, for the next hydration to restore. */
export const syncedHandler: Handler = (action, { setup: { actions }, sync }) => {
  if (actions.syncSucceeded.match(action)) sync.noteSynced(action.payload.key, action.payload.at)
}

/** `save` and `remove` go to the write engine; a new leader tab looks at the outbox it adopted. */
export const writesHandler: Handler = (action, { setup: { actions }, writes }) => {
  if (actions.save.match(action)) writes.submit(action, 'save')
  else if (actions.remove.match(action)) writes.submit(action, 'remove')
  else if (actions.roleChanged.match(action)) writes.wake()
}

/** What may make unused data leave: rows arriving (`maxRows`), writes answered (rows kept for them). */
export const evictionHandler: Handler = (action, { setup: { actions }, sync }) => {
  if (actions.pageApplied.match(action) && action.payload.upserted.length > 0) sync.noteRowsAdded(action.payload.collection)
  else if (actions.pushSettled.match(action)) sync.noteWritesSettled()
}

export const HANDLERS: readonly Handler[] = [subscriptionsHandler, syncedHandler, writesHandler, evictionHandler]

/**
 * The one handler that runs before the reducers: a pulled page leaves out rows with pending local
 * writes, so each keeps showing its optimistic value (the pulled row is stored as its new base, and
 * shows once the writes are answered).
 */
export function withoutPendingRows(action: UnknownAction, { setup, writes }: StoreInternals): UnknownAction {
  if (!setup.actions.pageApplied.match(action) || !writes.hasPending()) return action
  const { collection, upserted, removed } = action.payload
  const primaryKey = setup.primaryKeys[collection] ?? 'id'
  const pending = (key: Key) => writes.isPending(collection, key)
  const keptRows = upserted.filter((row: Row) => !pending(row[primaryKey] as Key))
  const keptKeys = removed.filter((key) => !pending(key))
  if (keptRows.length === upserted.length && keptKeys.length === removed.length) return action
  return { ...action, payload: { ...action.payload, upserted: keptRows, removed: keptKeys } }
}
