import type { StoredCollection, StoredDatabase, StoredDoc } from './changeSet'
import { LEGACY_STORE, readLegacy } from './idbLegacy'
import { hasPerDocument, readPerDocument } from './idbPerDocument'
import { ROWS_WORTH_YIELDING, runInSlices } from '../core/yieldToEventLoop'
import { checkChunk, mergeChanges, mergeSteps, replayRecord } from './idbReplay'
import type { Changes, Replayed } from './idbReplay'
import { request } from './idbRequests'
import { CHUNKS, chunkOf, COLLECTIONS, DOCS, LOG, oldStores } from './idbSchema'
import type { LogSizes } from './idbCompaction'

/** Snapshot chunks per read request: each answer (about 2,000 documents) is its own short task. */
const CHUNKS_PER_READ = 2

/** What a database holds, and in which layout. */
export interface ReadDatabase {
  stored?: StoredDatabase
  /** Read from an earlier layout: the first save must rewrite it whole. */
  legacy: boolean
  /** The sizes of snapshot and log (zero for an earlier layout). */
  sizes: LogSizes
}

const empty: LogSizes = { snapshotDocs: 0, logDocs: 0, logRecords: 0 }

/**
 * Reads the stored database in one readonly transaction: from an earlier layout if it still holds
 * data, otherwise the snapshot chunks (in ranges requested together) and the log records (one
 * request each), the log replayed over the chunks. Rejects with `UnreadableDatabase` when a
 * record or chunk is not what this library writes.
 */
export async function readDatabase(db: IDBDatabase): Promise<ReadDatabase> {
  const old = oldStores(db)
  const tx = db.transaction([LOG, CHUNKS, COLLECTIONS, ...old], 'readonly')
  if (old.includes(DOCS) && (await hasPerDocument(tx))) return { stored: await readPerDocument(tx), legacy: true, sizes: empty }
  if (old.includes(LEGACY_STORE)) {
    const legacy = await readLegacy(tx)
    if (legacy) return { stored: legacy, legacy: true, sizes: empty }
  }
  const collections = tx.objectStore(COLLECTIONS)
  const [names, metas, keys] = await Promise.all([
    request(collections.getAllKeys()) as Promise<string[]>,
    request(collections.getAll()) as Promise<Array<{ maxId?: unknown }>>,
    request(tx.objectStore(LOG).getAllKeys()),
  ])
  // Each answer is handled in the task that delivers it (answers come in the order asked), so no
  // task holds more than a read's worth of documents: chunks are gathered, log records replayed.
  const chunks = tx.objectStore(CHUNKS)
  const snapshot = names.map((name, i) => {
    const maxId = metas[i]?.maxId
    const last = Number.isInteger(maxId) ? chunkOf(maxId as number) : 0
    const docs: StoredDoc[] = []
    const reads: Promise<void>[] = []
    for (let from = 0; from <= last; from += CHUNKS_PER_READ) {
      const answer = request(chunks.getAll(IDBKeyRange.bound([name, from], [name, from + CHUNKS_PER_READ], false, true)))
      reads.push(answer.then((found) => void found.forEach((chunk) => docs.push(...checkChunk(chunk)))))
    }
    const read = Promise.all(reads)
    // Awaited below, after the log: a damaged chunk must not count as an unhandled rejection meanwhile.
    read.catch(() => {})
    return { name, maxId: Number.isInteger(maxId) ? (maxId as number) : 0, docs, read }
  })
  const tables: Replayed = new Map()
  let logDocs = 0
  const log = tx.objectStore(LOG)
  await Promise.all(keys.map((key) => request(log.get(key)).then((record) => void (logDocs += replayRecord(tables, record)))))
  let snapshotDocs = 0
  const result: StoredCollection[] = []
  // Merging a large log is done in slices, after the reads.
  const merged = (docs: StoredDoc[], changes: Changes) => (changes.size < ROWS_WORTH_YIELDING ? mergeChanges(docs, changes) : runInSlices(mergeSteps(docs, changes)))
  for (const { name, maxId, docs, read } of snapshot) {
    await read
    snapshotDocs += docs.length
    const table = tables.get(name)
    tables.delete(name)
    result.push({ name, maxId: Math.max(maxId, table?.maxId ?? 0), data: table ? await merged(docs, table.changes) : docs })
  }
  // Collections the snapshot does not know yet.
  for (const [name, { maxId, changes }] of tables) result.push({ name, maxId, data: await merged([], changes) })
  const sizes = { snapshotDocs, logDocs, logRecords: keys.length }
  return result.length === 0 ? { legacy: false, sizes } : { stored: { collections: result }, legacy: false, sizes }
}
