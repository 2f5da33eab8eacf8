import { createSlice } from '@reduxjs/toolkit'
import type { PayloadAction, SerializedError } from '@reduxjs/toolkit'
import type { Key } from '../core/protocol'
import type { Settlement } from '../store/outboxStore'
import type { CollectionChange, PendingCount, PushStatus, RejectedWrite } from '../core/writeTypes'

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

/**
 * The writes slice. `dismissRejectedWrite` is an app's to dispatch; the others are the write
 * engine's reports (dispatched by the replica; an app may listen to them).
 */
export function buildWritesSlice(reducerPath: string) {
  const initialState: WritesState = { total: 0, byCollection: {}, byKey: {}, status: 'idle', rejected: [], conflicts: 0 }
  return createSlice({
    name: reducerPath,
    initialState,
    reducers: {
      /** Pending writes found in the local database at start. */
      hydrateWrites(state: WritesState, { payload }: PayloadAction<{ pending: PendingCount[] }>) {
        for (const pending of payload.pending) setPending(state, pending)
      },
      /** A local write is in the local database and its outbox: Redux shows it (optimistic). */
      writeQueued(state: WritesState, { payload }: PayloadAction<{ id?: string; change: CollectionChange; pending: PendingCount }>) {
        setPending(state, payload.pending)
      },
      /** A write could not be queued (bad input) or the server refused it: kept in `writes.rejected`. */
      writeRejected(state: WritesState, { payload }: PayloadAction<RejectedWrite>) {
        reject(state, [payload])
      },
      /** The server answered a batch of writes: canonical rows, conflicts resolved, refusals rolled back. */
      pushSettled(state: WritesState, { payload }: PayloadAction<Settlement>) {
        for (const pending of payload.pending) setPending(state, pending)
        reject(state, payload.rejected)
        state.conflicts += payload.conflicts.length
      },
      /** The push loop's health: `pushing`, `idle` (nothing to push), `offline`, `error` (retrying). */
      pushStatus(state: WritesState, { payload }: PayloadAction<{ status: PushStatus; error?: SerializedError }>) {
        state.status = payload.status
        if (payload.error) state.error = payload.error
        else delete state.error
      },
      /**
       * Forget refused writes shown in `writes.rejected`: one by mutation id, or all without one.
       * @example dispatch(replica.actions.dismissRejectedWrite({ id }))
       */
      dismissRejectedWrite(state: WritesState, { payload }: PayloadAction<{ id?: string }>) {
        state.rejected = payload.id === undefined ? [] : state.rejected.filter((r) => r.id !== payload.id)
      },
    },
  })
}
