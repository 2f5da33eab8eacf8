import type { Dispatch } from '@reduxjs/toolkit'
import { toSerializedError } from '../errors'
import { openLocalStore } from '../store/localStore'
import type { LocalStore, LocalStoreOptions } from '../store/localStore'
import type { ReplicaActions } from './actions'

/**
 * Opens the local database and puts what it holds into Redux: one action per collection with every
 * stored row, then `hydrated`. A database that cannot be opened is reported with `hydrated({ error })`.
 */
export async function openAndHydrate(options: LocalStoreOptions, actions: ReplicaActions, dispatch: Dispatch): Promise<LocalStore> {
  let store: LocalStore
  try {
    store = await openLocalStore(options)
  } catch (error) {
    dispatch(actions.hydrated({ error: toSerializedError(error) }))
    throw error
  }
  for (const collection of Object.keys(options.collections)) {
    dispatch(actions.hydrateCollection({ collection, rows: store.readAll(collection) }))
  }
  dispatch(actions.hydrated({}))
  return store
}
