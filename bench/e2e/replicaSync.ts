import { rmSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { filePersistence, httpTransport, memoryPersistence } from '../../src'
import type { Transport } from '../../src'
import { prefetchTransport } from '../lib/prefetchTransport'
import { replicaStore, whenSynced } from '../lib/replicaStore'
import { gc, headTail } from '../lib/stats'
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
  /**
   * Per page (one pull's start to the next's: request, answer, Loki, Redux, any save in between):
   * the median of the first and of the last 10% of pages.
   */
  firstPagesMs: number
  lastPagesMs: number
  /** Longest the event loop was blocked during the sync (monitorEventLoopDelay, 10 ms resolution). */
  maxBlockedMs: number
}

/** Wraps a transport to note when each pull starts. */
function timedPulls(inner: Transport, starts: number[]): Transport {
  return { ...inner, pull: (request) => (starts.push(performance.now()), inner.pull(request)) }
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
  const pullStarts: number[] = []
  const rs = replicaStore(timedPulls(options.prefetch ? prefetchTransport(http) : http, pullStarts), { persistence, ...(options.saveInterval === undefined ? {} : { saveInterval: options.saveInterval }) })
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
  const blocked = monitorEventLoopDelay({ resolution: 10 })
  blocked.enable()
  const start = performance.now()
  store.dispatch(replica.actions.subscribe(scope))
  await synced
  await store.replica.flush()
  const ms = performance.now() - start
  blocked.disable()
  unsubscribe()
  const pages = pullStarts.slice(1).map((at, i) => at - (pullStarts[i] as number))
  const { headMedian, tailMedian } = headTail(pages)
  gc()
  const { heapUsed: heldHeapBytes, rss } = process.memoryUsage()
  if (rss > peakRssBytes) peakRssBytes = rss
  const all = replica.selectors.note.selectAll(store.getState())
  const jsonBytes = Buffer.byteLength(JSON.stringify(all))
  await store.replica.close()
  return {
    ms, rows: all.length, baseHeapBytes, peakHeapBytes, peakRssBytes, heldHeapBytes, jsonBytes,
    firstPagesMs: headMedian, lastPagesMs: tailMedian, maxBlockedMs: blocked.max / 1e6,
  }
}
