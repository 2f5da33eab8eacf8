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
  /**
   * Local writes not yet answered, by write id (`meta.writeId` of their `save` or `remove`): the
   * id of the mutation that carries each (its own, or the one it joined). Read it through
   * `selectWriteStatus`.
   */
  unanswered: Record<string, string>
  /**
   * The last 50 local writes that did not take effect, by write id: `rejected` (refused, rolled
   * back; dismissing the refusal does not forget this) or `overruled` (a conflict `onConflict`
   * decided for the server's row). Read it through `selectWriteStatus`.
   */
  unsaved: Record<string, 'rejected' | 'overruled'>
}

const MAX_REJECTED = 50

/** A `save` or `remove` action, which carries its write id. */
type WriteAction = { match(action: unknown): action is PayloadAction<unknown, string, { writeId: string }> }

/** Write ids carried by each mutation id, among those not yet answered. */
const carriedBy = (unanswered: Record<string, string>) => {
  const out = new Map<string, string[]>()
  for (const [writeId, mutationId] of Object.entries(unanswered)) {
    const ids = out.get(mutationId)
    if (ids) ids.push(writeId)
    else out.set(mutationId, [writeId])
  }
  return out
}

/** Forgets the unanswered writes a mutation carried. */
const answer = (state: WritesState, mutationId: string, carried: Map<string, string[]>) => {
  for (const writeId of carried.get(mutationId) ?? []) delete state.unanswered[writeId]
}

/** Remembers writes that did not take effect, the last {@link MAX_REJECTED} of them. */
const unsaved = (state: WritesState, writeIds: readonly string[], outcome: 'rejected' | 'overruled') => {
  for (const id of writeIds) {
    delete state.unsaved[id]
    state.unsaved[id] = outcome
  }
  const ids = Object.keys(state.unsaved)
  for (const id of ids.slice(0, Math.max(0, ids.length - MAX_REJECTED))) delete state.unsaved[id]
}

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
export function buildWritesSlice(reducerPath: string, writeActions: readonly WriteAction[]) {
  const initialState: WritesState = { total: 0, byCollection: {}, byKey: {}, status: 'idle', rejected: [], conflicts: 0, unanswered: {}, unsaved: {} }
  return createSlice({
    name: reducerPath,
    initialState,
    reducers: {
      /** Pending writes found in the local database at start. */
      hydrateWrites(state: WritesState, { payload }: PayloadAction<{ pending: PendingCount[] }>) {
        for (const pending of payload.pending) setPending(state, pending)
      },
      /**
       * A local write is in the local database and its outbox: Redux shows it (optimistic). `id`:
       * the mutation carrying it (none when it changed nothing or cancelled `cancelled`, a write
       * not yet sent); `writeId`: the action's.
       */
      writeQueued(state: WritesState, { payload }: PayloadAction<{ id?: string; writeId?: string; cancelled?: string; change: CollectionChange; pending: PendingCount }>) {
        setPending(state, payload.pending)
        if (payload.cancelled !== undefined) answer(state, payload.cancelled, carriedBy(state.unanswered))
        if (payload.writeId === undefined) return
        if (payload.id === undefined) delete state.unanswered[payload.writeId]
        else state.unanswered[payload.writeId] = payload.id
      },
      /** A write could not be queued (bad input; `id` is its write id) or the server refused it: kept in `writes.rejected`. */
      writeRejected(state: WritesState, { payload }: PayloadAction<RejectedWrite>) {
        if (Object.hasOwn(state.unanswered, payload.id)) {
          delete state.unanswered[payload.id]
          unsaved(state, [payload.id], 'rejected')
        }
        reject(state, [payload])
      },
      /** The server answered a batch of writes: canonical rows, conflicts resolved, refusals rolled back. */
      pushSettled(state: WritesState, { payload }: PayloadAction<Settlement>) {
        for (const pending of payload.pending) setPending(state, pending)
        const carried = carriedBy(state.unanswered)
        const rejected = payload.rejected.map((r) => {
          unsaved(state, carried.get(r.id) ?? [], 'rejected')
          const writeIds = carried.get(r.id)?.filter((id) => id !== r.id) ?? []
          return writeIds.length > 0 ? { ...r, writeIds } : r
        })
        reject(state, rejected)
        for (const conflict of payload.conflicts) {
          if (conflict.resolution === 'server') unsaved(state, carried.get(conflict.id) ?? [], 'overruled')
          if (conflict.resentAs === undefined) continue
          for (const writeId of carried.get(conflict.id) ?? []) state.unanswered[writeId] = conflict.resentAs
          carried.delete(conflict.id)
        }
        for (const mutationId of payload.answered ?? []) answer(state, mutationId, carried)
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
    extraReducers: (builder) => {
      // Unanswered from the moment it is dispatched (the local database may still be opening).
      for (const action of writeActions) {
        builder.addMatcher(action.match, (state, { meta }) => {
          if (typeof meta?.writeId === 'string') state.unanswered[meta.writeId] = meta.writeId
        })
      }
    },
  })
}
