import type { Dispatch } from '@reduxjs/toolkit'
import { toSerializedError } from '../core/errors'
import type { ReplicaError } from '../core/errors'
import { openLocalStore } from '../store/localStore'
import type { LocalStore, LocalStoreOptions } from '../store/localStore'
import type { LocalWriteOutcome } from '../store/outboxStore'
import type { ReplicaActions } from '../state/actions'
import { entityStateSteps } from '../state/entityState'
import { ROWS_WORTH_YIELDING, runInSlices, yieldToEventLoop } from '../core/yieldToEventLoop'
import type { Key } from '../core/protocol'
import type { Row } from '../core/pullWire'

/**
 * Opens the local database and puts what it holds into Redux: `databaseSetAside` if the stored
 * database was unusable, one action per collection with every stored row, the stored
 * subscriptions (received counts, last sync), then `hydrated`; before them, `roleChanged` says
 * whether this tab writes the database (a follower taking the lead later dispatches it again). A
 * database that cannot be opened at all is reported with `hydrated({ error })`. Failing saves later
 * are reported with `storageFailed`, and the first good save after them with `storageRecovered`.
 */
export async function openAndHydrate(options: Omit<LocalStoreOptions, 'onSaved' | 'onLeader'>, actions: ReplicaActions, dispatch: Dispatch): Promise<LocalStore> {
  let failure: string | undefined
  const onSaved = (error?: ReplicaError) => {
    if (error) {
      // Retries fail once per save interval; tell the app when the failure starts or changes.
      if (failure !== error.message) dispatch(actions.storageFailed({ error: toSerializedError(error) }))
      failure = error.message
    } else if (failure !== undefined) {
      failure = undefined
      dispatch(actions.storageRecovered())
    }
  }
  // A follower taking the lead: the writes it adopted from the old leader show, then the role.
  const lead = (adopted: LocalWriteOutcome[]) => {
    for (const { entry, change, pending } of adopted) dispatch(actions.writeQueued({ ...(entry ? { id: entry.id } : {}), change, pending }))
    dispatch(actions.roleChanged({ role: 'leader' }))
  }
  // Hydration yields to the event loop: a lead taken meanwhile shows after the rows it applies over.
  let leadsWaiting: LocalWriteOutcome[][] | undefined = []
  const onLeader = (adopted: LocalWriteOutcome[]) => (leadsWaiting ? leadsWaiting.push(adopted) : lead(adopted))
  let store: LocalStore
  try {
    store = await openLocalStore({ ...options, onSaved, onLeader })
  } catch (error) {
    dispatch(actions.hydrated({ error: toSerializedError(error) }))
    throw error
  }
  dispatch(actions.roleChanged({ role: store.role }))
  if (store.setAside) {
    const { reason, movedTo, error } = store.setAside
    dispatch(actions.databaseSetAside({ reason, movedTo, error: toSerializedError(error) }))
  }
  for (const [collection, { primaryKey }] of Object.entries(options.collections)) {
    // Each collection's state is built in slices of a few milliseconds, yielding to the event loop
    // between them (100,000 rows: ~170 ms in one task otherwise), then replaced in one action: its
    // rows show all at once. Nothing else changes the store or the collection meanwhile: the
    // store is handed to sync and writes only when this resolves, and a lead taken waits above.
    if (store.rowCount(collection) >= ROWS_WORTH_YIELDING) await yieldToEventLoop()
    const rows = store.readAll(collection)
    const keyOf = (row: Row) => row[primaryKey] as Key
    dispatch(actions.hydrateCollection({ collection, state: await runInSlices(entityStateSteps(rows, keyOf)) }))
  }
  const subscriptions = store.subscriptions().map(({ key, collection, filter, received, lastSyncedAt }) =>
    lastSyncedAt === undefined ? { key, collection, filter, received } : { key, collection, filter, received, lastSyncedAt },
  )
  if (subscriptions.length > 0) dispatch(actions.hydrateSubscriptions({ subscriptions }))
  dispatch(actions.hydrated({}))
  const leads = leadsWaiting
  leadsWaiting = undefined
  leads.forEach(lead)
  return store
}
