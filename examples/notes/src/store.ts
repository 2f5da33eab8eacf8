import { configureStore } from '@reduxjs/toolkit'
import { collection, createReplica, httpPushTransport, httpTransport, indexedDbPersistence } from '../../../src'
import { createReplicaHooks } from '../../../src/react'
import type { ExampleContact, ExampleNote, ExampleProject } from '../../../src/server/example-data'

/**
 * How often each subscription polls, from the page's `?pollingInterval=<ms>` (default 30 s).
 * Changes arrive over the live channel in between; the end-to-end tests open the app with an
 * hour here to show that they do.
 */
function pollingIntervalFromUrl(): { pollingInterval?: number } {
  const asked = Number(new URLSearchParams(location.search).get('pollingInterval'))
  return asked > 0 ? { pollingInterval: asked } : {}
}

/** The app's replica: three collections from the example server, kept in IndexedDB. */
export function createAppStore() {
  const replica = createReplica({
    ...pollingIntervalFromUrl(),
    collections: { project: collection<ExampleProject>(), contact: collection<ExampleContact>(), note: collection<ExampleNote>() },
    transport: httpTransport({ url: `${location.origin}/replica` }),
    // Notes written here land in IndexedDB and Redux at once, and reach the server when it can be reached.
    push: httpPushTransport({ url: `${location.origin}/replica` }),
    persistence: indexedDbPersistence('redux-replica-notes'),
  })
  const store = configureStore({
    reducer: { [replica.reducerPath]: replica.reducer },
    middleware: (gDM) => gDM({ serializableCheck: false, immutableCheck: false }).concat(replica.middleware),
    enhancers: (gDE) => gDE().concat(replica.enhancer),
  })
  return { replica, store, ...createReplicaHooks(replica) }
}

export type AppStore = ReturnType<typeof createAppStore>
