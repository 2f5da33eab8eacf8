import { createFocusManager, createOnlineManager, createReplica, filePersistence, httpPushTransport, httpTransport } from '../../src'
import type { CollectionConfig, PushTransport, ReplicaOptions } from '../../src'
import { makeStore, waitFor } from '../fixtures/store'

/**
 * A client as an app on a device has it: a file database, pull and push over real HTTP to
 * `url`, connectivity driven by hand, in a real store with RTK's checks on.
 */
export function fileClient<C extends Record<string, CollectionConfig<object>>>(options: {
  url: string
  file: string
  online: boolean
  collections: C
  onConflict?: ReplicaOptions<C, 'replica'>['onConflict']
  keepUnusedDataFor?: number
  /** In place of the push over HTTP to `url` (to hold pushes back, say). */
  push?: PushTransport
}) {
  const { url } = options
  const onlineManager = createOnlineManager({ setEventListener: () => undefined, initiallyOnline: options.online })
  const replica = createReplica({
    collections: options.collections,
    transport: httpTransport({ url }),
    push: options.push ?? httpPushTransport({ url }),
    persistence: filePersistence(options.file),
    onlineManager,
    focusManager: createFocusManager({ setEventListener: () => undefined }),
    pollingInterval: 0,
    ...(options.onConflict ? { onConflict: options.onConflict } : {}),
    ...(options.keepUnusedDataFor === undefined ? {} : { keepUnusedDataFor: options.keepUnusedDataFor }),
  })
  const store = makeStore(replica)
  /** Resolves once no write is pending and the push loop is idle. */
  const settled = () => waitFor(store, (s) => replica.selectors.selectPendingWrites(s) === 0 && replica.selectors.selectWrites(s).status === 'idle', 10_000)
  return { replica, store, onlineManager, settled }
}
