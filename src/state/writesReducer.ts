import { createReducer } from '@reduxjs/toolkit'
import type { SerializedError } from '@reduxjs/toolkit'
import type { Key } from '../core/protocol'
import type { ReplicaActions } from './actions'
import type { PendingCount, PushStatus, RejectedWrite } from '../core/writeTypes'

/** Local writes in state: what waits for the server, how pushing goes, what the server refused. */
export interface WritesState {
  /** Writes waiting for the server, in all. */
  total: number
  /** Waiting writes per collection (collections with none are absent). */
  byCollection: Record<string, number>
  /** Waiting writes per row, keyed by {@link pendingKey}; read it through `selectIsPending`. */
  byKey: Record<string, number>
  status: PushStatus
  /** The last failure of a push (it is being retried), while `status` is `error` or `offline`. */
  error?: SerializedError
  /** Writes the server refused (rolled back), newest last, until dismissed; at most 50. */
  rejected: RejectedWrite[]
  /** Conflicts resolved since the store was created. */
  conflicts: number
}

const MAX_REJECTED = 50

/** The state key of one row's pending count: collection and key as one string (never `__proto__`). */
export const pendingKey = (collection: string, key: Key) => JSON.stringify([collection, String(key)])

export function buildWritesReducer(actions: ReplicaActions) {
  const initial: WritesState = { total: 0, byCollection: {}, byKey: {}, status: 'idle', rejected: [], conflicts: 0 }
  const setPending = (state: WritesState, { collection, key, count }: PendingCount) => {
    const id = pendingKey(collection, key)
    const delta = count - (state.byKey[id] ?? 0)
    if (delta === 0) return
    if (count === 0) delete state.byKey[id]
    else state.byKey[id] = count
    state.total += delta
    const inCollection = (state.byCollection[collection] ?? 0) + delta
    if (inCollection === 0) delete state.byCollection[collection]
    else state.byCollection[collection] = inCollection
  }
  const reject = (state: WritesState, rejected: RejectedWrite[]) => {
    state.rejected.push(...rejected)
    if (state.rejected.length > MAX_REJECTED) state.rejected.splice(0, state.rejected.length - MAX_REJECTED)
  }
  return createReducer(initial, (builder) =>
    builder
      .addCase(actions.hydrateWrites, (state, { payload }) => {
        for (const pending of payload.pending) setPending(state, pending)
      })
      .addCase(actions.writeQueued, (state, { payload }) => setPending(state, payload.pending))
      .addCase(actions.writeRejected, (state, { payload }) => reject(state, [payload]))
      .addCase(actions.pushSettled, (state, { payload }) => {
        for (const pending of payload.pending) setPending(state, pending)
        reject(state, payload.rejected)
        state.conflicts += payload.conflicts.length
      })
      .addCase(actions.pushStatus, (state, { payload }) => {
        state.status = payload.status
        if (payload.error) state.error = payload.error
        else delete state.error
      })
      .addCase(actions.dismissRejectedWrite, (state, { payload }) => {
        state.rejected = payload.id === undefined ? [] : state.rejected.filter((r) => r.id !== payload.id)
      }),
  )
}
