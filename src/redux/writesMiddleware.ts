import type { Middleware, UnknownAction } from '@reduxjs/toolkit'
import type { Key } from '../core/protocol'
import type { ReplicaActions } from '../state/actions'
import type { Row } from '../core/pullWire'
import type { WriteEngine } from '../engines/writes/pushLoop'

/**
 * Wraps the replica's middleware with the write side: `save` and `remove` go to the write engine
 * once the reducers have seen them, and pulled pages are filtered so that a row with pending local
 * writes keeps showing its optimistic value (the pulled row is stored as its new base, and shows
 * once the writes are answered).
 */
export function withWrites(
  inner: Middleware,
  actions: ReplicaActions,
  primaryKeys: Record<string, string>,
  writes: () => WriteEngine | undefined,
): Middleware {
  return (api) => {
    const chain = inner(api)
    return (next) => {
      const handle = chain(next)
      return (action) => {
        if (actions.pageApplied.match(action)) return handle(withoutPending(action, writes(), primaryKeys))
        const result = handle(action)
        if (actions.save.match(action)) writes()?.submit(action as UnknownAction & { payload: unknown }, 'save')
        else if (actions.remove.match(action)) writes()?.submit(action as UnknownAction & { payload: unknown }, 'remove')
        // A tab taking the lead may have adopted the old leader's pending writes.
        else if (actions.roleChanged.match(action)) writes()?.wake()
        return result
      }
    }
  }
}

function withoutPending(action: ReturnType<ReplicaActions['pageApplied']>, writes: WriteEngine | undefined, primaryKeys: Record<string, string>) {
  if (!writes?.hasPending()) return action
  const { collection, upserted, removed } = action.payload
  const primaryKey = primaryKeys[collection] ?? 'id'
  const pending = (key: Key) => writes.isPending(collection, key)
  const keptRows = upserted.filter((row: Row) => !pending(row[primaryKey] as Key))
  const keptKeys = removed.filter((key) => !pending(key))
  if (keptRows.length === upserted.length && keptKeys.length === removed.length) return action
  return { ...action, payload: { ...action.payload, upserted: keptRows, removed: keptKeys } }
}
