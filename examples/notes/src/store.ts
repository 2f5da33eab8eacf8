import { configureStore } from '@reduxjs/toolkit'
import { collection, createReplica, httpPushTransport, httpTransport, indexedDbPersistence } from '../../../src'
import { createReplicaHooks } from '../../../src/react'
import type { ExampleContact, ExampleNote, ExampleProject } from '../../../src/server/example-data'

/** The app's replica: three collections from the example server, kept in IndexedDB. */
export function createAppStore() {
  const replica = createReplica({
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
