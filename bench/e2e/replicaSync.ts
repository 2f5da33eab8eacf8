import { rmSync } from 'node:fs'
import { filePersistence, httpTransport, memoryPersistence } from '../../src'
import { prefetchTransport } from '../lib/prefetchTransport'
import { replicaStore, whenSynced } from '../lib/replicaStore'
import { gc } from '../lib/stats'
import { FILTER } from './http'

export interface ReplicaSyncResult {
  /** Subscribe until synced (every page in Loki and Redux, the final save done) and flush() resolved. */
  ms: number
  rows: number
  /** Heap used before subscribing (modules loaded, store empty), after GC. */
  baseHeapBytes: number
  /** Largest heap used seen at any store notification (once per page) during the sync. */
  peakHeapBytes: number
  peakRssBytes: number
  /** Heap used holding the synced rows, after GC. */
  heldHeapBytes: number
  /** The synced rows as JSON (what the server sent, without the page envelopes). */
  jsonBytes: number
}

/**
 * redux-replica end to end: httpTransport over loopback, file persistence (fsync on, the default),
 * RTK store with dev checks off. The file is left behind for the hydration benchmark.
 */
export async function replicaSync(url: string, file: string | undefined, options: { sampleMemory?: boolean; saveInterval?: number; prefetch?: boolean } = {}): Promise<ReplicaSyncResult> {
  if (file) rmSync(file, { force: true })
  // No file: memoryPersistence, for comparison with contenders that keep nothing on disk.
  const persistence = file ? filePersistence(file) : memoryPersistence()
  const http = httpTransport({ url: `${url}/replica` })
  const rs = replicaStore(options.prefetch ? prefetchTransport(http) : http, { persistence, ...(options.saveInterval === undefined ? {} : { saveInterval: options.saveInterval }) })
  const { store, replica } = rs
  await store.replica.whenHydrated()
  gc()
  const baseHeapBytes = process.memoryUsage().heapUsed
  let peakHeapBytes = baseHeapBytes
  let peakRssBytes = 0
  // process.memoryUsage() costs ~0.5 ms (it reads /proc): only the memory runs sample, once per notification.
  const unsubscribe = options.sampleMemory
    ? store.subscribe(() => {
        const { heapUsed, rss } = process.memoryUsage()
        if (heapUsed > peakHeapBytes) peakHeapBytes = heapUsed
        if (rss > peakRssBytes) peakRssBytes = rss
      })
    : () => {}
  const scope = { collection: 'note', filter: FILTER }
  const synced = whenSynced(rs, scope)
  const start = performance.now()
  store.dispatch(replica.actions.subscribe(scope))
  await synced
  await store.replica.flush()
  const ms = performance.now() - start
  unsubscribe()
  gc()
  const { heapUsed: heldHeapBytes, rss } = process.memoryUsage()
  if (rss > peakRssBytes) peakRssBytes = rss
  const all = replica.selectors.note.selectAll(store.getState())
  const jsonBytes = Buffer.byteLength(JSON.stringify(all))
  await store.replica.close()
  return { ms, rows: all.length, baseHeapBytes, peakHeapBytes, peakRssBytes, heldHeapBytes, jsonBytes }
}
