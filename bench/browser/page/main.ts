/**
 * The browser benchmark's page (built by ../build.ts, driven by ../index.ts through
 * `window.bench`): the same client as the Node benchmarks (bench/lib/replicaStore.ts: RTK store,
 * dev checks off, the replica's middleware and enhancer), here over `fetch` from the page's own
 * origin, the reference server, into IndexedDB or memory.
 */
import { createFocusManager, httpTransport, indexedDbPersistence, memoryPersistence } from '../../../src'
import type { PullResponseBody } from '../../../src/protocol'
import { FILTER, pullUrl, touch } from '../../e2e/http'
import { replicaStore, when, whenSynced } from '../../lib/replicaStore'
import type { ReplicaStore } from '../../lib/replicaStore'
import { median } from '../../lib/stats'
import { longestTaskBetween } from './longTasks'

export type BrowserPersistence = 'indexeddb' | 'memory'

/** The longest main-thread task in a phase (0: none of 50 ms or more), and how many were long. */
export interface TaskFigures {
  longestTaskMs: number
  longTasks: number
}

export interface BrowserFloorResult {
  ms: number
  rows: number
}
export interface BrowserSyncResult extends TaskFigures {
  /** Subscribe until `synced` and `flush()` resolved: every row in Redux and saved. */
  ms: number
  rows: number
}
export interface BrowserLiveResult extends TaskFigures {
  /** Asking for a pull until the changed row is in Redux (median of samples). */
  endToEndMs: number
  /** Asking for a pull until the save after it resolved (`flush()`; median of samples). */
  savedMs: number
  samples: number
}
export interface BrowserHydrateResult extends TaskFigures {
  /** Store created until `whenHydrated()`: IndexedDB read, Loki load, every row into Redux. */
  ms: number
  rows: number
}

/** What the benchmark runner calls, one measurement per call. */
export interface BenchPage {
  floor(): Promise<BrowserFloorResult>
  sync(persistence: BrowserPersistence): Promise<BrowserSyncResult>
  live(samples: number): Promise<BrowserLiveResult>
  hydrate(): Promise<BrowserHydrateResult>
}

declare global {
  interface Window {
    bench: BenchPage
  }
}

const DATABASE = 'redux-replica-bench'
const scope = { collection: 'note', filter: FILTER }
// Pulls happen when the benchmark asks (the live-sync layer's focus trigger), never on their own.
const focusManager = createFocusManager({ setEventListener: () => undefined })
let synced: ReplicaStore | undefined

function open(persistence: BrowserPersistence): ReplicaStore {
  return replicaStore(httpTransport({ url: `${location.origin}/replica` }), {
    persistence: persistence === 'indexeddb' ? indexedDbPersistence(DATABASE) : memoryPersistence(),
    focusManager,
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

window.bench = {
  /** What any client pays to get the rows: fetch every page and JSON.parse it, nothing more. */
  async floor() {
    const start = performance.now()
    let cursor: string | null = null
    let rows = 0
    for (;;) {
      const body = JSON.parse(await (await fetch(pullUrl(location.origin, cursor))).text()) as PullResponseBody
      rows += body.rows.length
      cursor = body.cursor
      if (!body.hasMore) break
    }
    return { ms: performance.now() - start, rows }
  },

  async sync(persistence) {
    const rs = open(persistence)
    await rs.store.replica.whenHydrated()
    const done = whenSynced(rs, scope)
    const start = performance.now()
    rs.store.dispatch(rs.replica.actions.subscribe(scope))
    await done
    await rs.store.replica.flush()
    const end = performance.now()
    synced = rs
    const tasks = await longestTaskBetween(start, end)
    return { ms: end - start, rows: rs.replica.selectors.note.selectTotal(rs.store.getState()), longestTaskMs: tasks.longestMs, longTasks: tasks.count }
  },

  /** One row changed on the server while the page holds every row, until it is in Redux and saved. */
  async live(samples) {
    const rs = synced
    if (!rs) throw new Error('live() needs a sync() first')
    const { store, replica } = rs
    const total = replica.selectors.note.selectTotal(store.getState())
    const endToEnd: number[] = []
    const saved: number[] = []
    let longestTaskMs = 0
    let longTasks = 0
    // The first sample warms the path up (JIT, keep-alive connection) and is not counted.
    for (let i = 0; i <= samples; i++) {
      await sleep(100)
      const id = 1 + ((i * 7919) % total)
      const { body } = await touch(location.origin, id)
      const arrived = when(store, () => replica.selectors.note.selectById(store.getState(), id)?.body === body)
      const start = performance.now()
      focusManager.setFocused(false)
      focusManager.setFocused(true)
      const at = await arrived
      await store.replica.flush()
      const end = performance.now()
      if (i === 0) continue
      endToEnd.push(at - start)
      saved.push(end - start)
      const tasks = await longestTaskBetween(start, end)
      longestTaskMs = Math.max(longestTaskMs, tasks.longestMs)
      longTasks += tasks.count
    }
    return { endToEndMs: median(endToEnd), savedMs: median(saved), samples, longestTaskMs, longTasks }
  },

  /** After a reload: open the database the sync left and wait until every row is in Redux. */
  async hydrate() {
    const start = performance.now()
    const rs = open('indexeddb')
    await rs.store.replica.whenHydrated()
    const end = performance.now()
    const tasks = await longestTaskBetween(start, end)
    const rows = rs.replica.selectors.note.selectTotal(rs.store.getState())
    await rs.store.replica.close()
    return { ms: end - start, rows, longestTaskMs: tasks.longestMs, longTasks: tasks.count }
  },
}
