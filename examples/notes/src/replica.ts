import { configureStore } from '@reduxjs/toolkit'
import { collection, createReplica, httpPushTransport, httpTransport, indexedDbPersistence } from '../../../src'
import { createReplicaHooks } from '../../../src/react'
import type { ExampleContact, ExampleProject } from '../../../src/server/example-data'
import { createConnection } from './connection'

/** A note: the seed's have integer ids; the ones made here have text ids from `newId()`. */
export interface Note {
  id: number | string
  project_id: number
  contact_id: number | null
  body: string
  created_at: string
  updated_at: string
}
export type Contact = ExampleContact
export type Project = ExampleProject

/**
 * How often each subscription polls, from the page's `?pollingInterval=<ms>` (default 30 s).
 * Changes arrive over the live channel in between; the end-to-end tests open the app with an
 * hour here to show that they do.
 */
function pollingIntervalFromUrl(): { pollingInterval?: number } {
  const asked = Number(new URLSearchParams(location.search).get('pollingInterval'))
  return asked > 0 ? { pollingInterval: asked } : {}
}

/** What the app knows of its link to the server, from the browser and from the replica's own requests. */
export const connection = createConnection()

/** The app's replica: three collections from the example server, kept in IndexedDB. */
export const replica = createReplica({
  ...pollingIntervalFromUrl(),
  collections: { project: collection<Project>(), contact: collection<Contact>(), note: collection<Note>() },
  transport: httpTransport({ url: `${location.origin}/replica` }),
  // Notes written here land in IndexedDB and Redux at once, and reach the server when it can be reached.
  push: httpPushTransport({ url: `${location.origin}/replica` }),
  persistence: indexedDbPersistence('redux-replica-notes'),
  // A local demo: while the server is down, look for it at least every 10 s (focus looks at once).
  retry: { maxDelay: 10_000 },
  // A notes app is read offline: a project opened once stays on the device for a week after its
  // view closes, not the library's default minute (which suits data a view can refetch).
  keepUnusedDataFor: 7 * 24 * 60 * 60,
  onlineManager: connection.onlineManager,
  onEvent: connection.onEvent,
})

export const store = configureStore({
  reducer: { [replica.reducerPath]: replica.reducer },
  middleware: (gDM) => gDM(replica.devCheckOptions).concat(replica.middleware),
  enhancers: (gDE) => gDE().concat(replica.enhancer),
  devTools: replica.devTools,
})

export const { useSubscription, useRow, useSave, useRemove, useWriteStatus, useSyncState } = createReplicaHooks(replica)
