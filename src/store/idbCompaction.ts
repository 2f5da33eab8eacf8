import type { StoredDoc } from './changeSet'
import { planFold } from './idbFold'
import { checkChunk, mergeChanges } from './idbReplay'
import { CHUNKS, COLLECTIONS, LOG } from './idbSchema'
import type { Written } from './idbWrite'

/**
 * Compaction of the IndexedDB log into the snapshot chunks, in idle time, by the leader only (it
 * starts after a save, and followers never save). Each step is one readwrite transaction that
 * reads the oldest `RECORDS_PER_STEP` log records, folds their changes for a few chunks into those
 * chunks (planFold), writes the chunks back (deleting empty ones), raises `collections`' maxIds
 * and deletes (or shortens) those records. Each step commits whole or not at all, so snapshot +
 * log always replays to the same database, between steps too.
 *
 * Saves and steps: both are readwrite transactions over `log`, so IndexedDB runs them one after
 * the other, in the order they were created, never interleaved. A step therefore reads only
 * records of saves that have committed, and a save that begins during a step appends records
 * with keys above every record the step read (keys only grow), which it leaves alone.
 */

/** Oldest log records one step reads (about 4,000 documents at the most). */
export const RECORDS_PER_STEP = 4
/** The log is compacted once it holds more documents than this and than half the snapshot. */
export const MIN_LOG_DOCS = 5_000
/** ...or more records than this (many small saves: each is a request when loading). */
export const MAX_LOG_RECORDS = 1_000

/** How big the snapshot and the log are, counted as saves and steps go. */
export interface LogSizes {
  /** Documents in the snapshot chunks. */
  snapshotDocs: number
  /** Documents and removals in the log's records. */
  logDocs: number
  /** Records in the log. */
  logRecords: number
}

/** The default of `compactWhen`: the log holds more than half the snapshot (and 5,000 documents), or over 1,000 records. */
export const compactPastHalf = ({ snapshotDocs, logDocs, logRecords }: LogSizes): boolean =>
  logDocs > Math.max(snapshotDocs / 2, MIN_LOG_DOCS) || logRecords > MAX_LOG_RECORDS

/** What one step did. `more`: the log may hold records still. */
export interface StepResult {
  folded: number
  records: number
  snapshotDocs: number
  more: boolean
}

/** One compaction step in one transaction; rejects (the transaction aborted) if it cannot be done. */
export function compactionStep(db: IDBDatabase): Promise<StepResult> {
  const tx = db.transaction([LOG, CHUNKS, COLLECTIONS], 'readwrite')
  const result: StepResult = { folded: 0, records: 0, snapshotDocs: 0, more: false }
  let failure: unknown
  const guarded = (run: () => void) => () => {
    try {
      run()
    } catch (error) {
      failure = error
      tx.abort()
    }
  }
  const log = tx.objectStore(LOG)
  // One key more than the records read: whether the log goes on after them.
  const keys = log.getAllKeys(null, RECORDS_PER_STEP + 1)
  const values = log.getAll(null, RECORDS_PER_STEP)
  values.onsuccess = guarded(() => {
    const read = values.result.length
    const fold = planFold(keys.result.slice(0, read), values.result)
    result.folded = fold.folded
    result.records = fold.records.filter((record) => record.value === undefined).length
    result.more = keys.result.length > read || result.records < read
    for (const { key, value } of fold.records) {
      if (value) log.put(value, key)
      else log.delete(key)
    }
    const collections = tx.objectStore(COLLECTIONS)
    for (const [name, maxId] of fold.maxIds) {
      const meta = collections.get(name)
      meta.onsuccess = guarded(() => collections.put({ maxId: Math.max(maxId, (meta.result as { maxId?: number } | undefined)?.maxId ?? 0) }, name))
    }
    const chunks = tx.objectStore(CHUNKS)
    for (const { name, n, changes } of fold.chunks) {
      const read = chunks.get([name, n])
      // Each chunk in the callback of its own read: one task per chunk, not one for all.
      read.onsuccess = guarded(() => {
        const before: StoredDoc[] = read.result === undefined ? [] : checkChunk(read.result)
        const after = mergeChanges(before, changes)
        if (after.length > 0) chunks.put(after, [name, n])
        else chunks.delete([name, n])
        result.snapshotDocs += after.length - before.length
      })
    }
  })
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(result)
    tx.onabort = () => reject(failure ?? tx.error ?? new Error('IndexedDB transaction aborted'))
  })
}

/** Runs `run` when the thread is idle (`requestIdleCallback`), else soon; returns a cancel. */
function whenIdle(run: () => void): () => void {
  const idle = globalThis as { requestIdleCallback?: (run: () => void) => number; cancelIdleCallback?: (id: number) => void }
  if (typeof idle.requestIdleCallback === 'function') {
    const id = idle.requestIdleCallback(run)
    return () => idle.cancelIdleCallback?.(id)
  }
  const id = setTimeout(run, 10)
  return () => clearTimeout(id)
}

/** Keeps the sizes and runs the steps of one connection. */
export interface Compactor {
  /** The database was read (or moved aside: zero sizes). */
  loaded(sizes: LogSizes): void
  /** A save committed; starts compacting if the log has grown past `compactWhen`. */
  saved(written: Written, full: { snapshotDocs: number } | undefined): void
  /** The sizes as counted now. */
  readonly sizes: LogSizes
  /** No more steps (a step under way finishes: it is one transaction). */
  stop(): void
}

/** A compactor over the connection's current database handle (undefined while it is closed). */
export function createCompactor(database: () => IDBDatabase | undefined, compactWhen: (sizes: LogSizes) => boolean): Compactor {
  const sizes: LogSizes = { snapshotDocs: 0, logDocs: 0, logRecords: 0 }
  let cancel: (() => void) | undefined
  let running = false
  let stopped = false
  // After a failed step, wait until the log has doubled before trying again.
  let retryAt = 0
  const step = async () => {
    cancel = undefined
    const db = database()
    if (!db || stopped) return void (running = false)
    try {
      const done = await compactionStep(db)
      sizes.logDocs = Math.max(0, sizes.logDocs - done.folded)
      sizes.logRecords = Math.max(0, sizes.logRecords - done.records)
      sizes.snapshotDocs = Math.max(0, sizes.snapshotDocs + done.snapshotDocs)
      if (done.more && !stopped) return void (cancel = whenIdle(step))
    } catch {
      // Left as it was (the step was one transaction); the log stays readable as a log.
      retryAt = sizes.logDocs * 2
    }
    running = false
  }
  return {
    sizes,
    loaded(read) {
      Object.assign(sizes, read)
      retryAt = 0
    },
    saved(written, full) {
      if (full) Object.assign(sizes, { snapshotDocs: full.snapshotDocs, logDocs: 0, logRecords: 0 })
      sizes.logDocs += written.docs
      sizes.logRecords += written.records
      if (running || stopped || sizes.logDocs < retryAt || !compactWhen({ ...sizes })) return
      running = true
      cancel = whenIdle(step)
    },
    stop() {
      stopped = true
      cancel?.()
      cancel = undefined
    },
  }
}
