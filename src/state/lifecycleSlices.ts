import { createSlice } from '@reduxjs/toolkit'
import type { PayloadAction, SerializedError } from '@reduxjs/toolkit'
import type { StorageRole } from '../store/webLock'

export interface HydrationState {
  status: 'pending' | 'hydrated' | 'failed'
  error?: SerializedError
}

/** The local database's health. */
export interface StorageState {
  /** `failing` while saves fail (data is kept in memory and saves are retried). */
  status: 'ok' | 'failing'
  error?: SerializedError
  /** Set when the database found at start was unusable and kept under another name. */
  setAside?: { reason: 'unreadable' | 'incompatible'; movedTo: string; error: SerializedError }
  /**
   * Set once the database is open: `leader` if this tab writes it, `follower` if another tab does
   * (IndexedDB with Web Locks; every other persistence leads).
   */
  role?: StorageRole
}

/** The hydration slice: whether the local data is in Redux yet. */
export function buildHydrationSlice(reducerPath: string) {
  return createSlice({
    name: reducerPath,
    initialState: { status: 'pending' } as HydrationState,
    reducers: {
      /** Hydration finished (or failed, with an error): local data is in Redux. */
      hydrated: (_state: HydrationState, { payload }: PayloadAction<{ error?: SerializedError }>): HydrationState =>
        payload.error ? { status: 'failed', error: payload.error } : { status: 'hydrated' },
    },
  })
}

/** The storage slice: the local database's health and this tab's role. */
export function buildStorageSlice(reducerPath: string) {
  return createSlice({
    name: reducerPath,
    initialState: { status: 'ok' } as StorageState,
    reducers: {
      /**
       * The stored database could not be used (unreadable, or another format version): it was kept
       * under `movedTo` and the replica started empty; subscriptions resync from the beginning.
       * @example
       * listenerMiddleware.startListening({ actionCreator: replica.internalActions.databaseSetAside, effect: ({ payload }) => report(payload.error) })
       */
      databaseSetAside(state: StorageState, { payload }: PayloadAction<{ reason: 'unreadable' | 'incompatible'; movedTo: string; error: SerializedError }>) {
        state.setAside = payload
      },
      /** A save of the local database failed; changes stay in memory and the save is retried. */
      storageFailed(state: StorageState, { payload }: PayloadAction<{ error: SerializedError }>) {
        state.status = 'failing'
        state.error = payload.error
      },
      /** A save succeeded after a failure. */
      storageRecovered(state: StorageState) {
        state.status = 'ok'
        delete state.error
      },
      /**
       * Whether this tab writes the local database (`leader`) or another tab does (`follower`: its
       * changes stay in memory until it takes the lead). Dispatched when the database opens, and
       * when a follower becomes the leader. See docs/persistence.md, "One writer per origin".
       * @example
       * listenerMiddleware.startListening({ actionCreator: replica.internalActions.roleChanged, effect: ({ payload }) => log(payload.role) })
       */
      roleChanged(state: StorageState, { payload }: PayloadAction<{ role: StorageRole }>) {
        state.role = payload.role
      },
    },
  })
}
