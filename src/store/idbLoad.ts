import type { StoredCollection, StoredDatabase, StoredDoc } from './changeSet'
import { LEGACY_STORE, readLegacy } from './idbLegacy'
import { hasPerDocument, readPerDocument } from './idbPerDocument'
import { checkChunk, mergeChanges, replayRecords } from './idbReplay'
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
  const chunks = tx.objectStore(CHUNKS)
  const snapshot = names.map((name, i) => {
    const maxId = metas[i]?.maxId
    const last = Number.isInteger(maxId) ? chunkOf(maxId as number) : 0
    const reads: Promise<unknown[]>[] = []
    for (let from = 0; from <= last; from += CHUNKS_PER_READ) {
      reads.push(request(chunks.getAll(IDBKeyRange.bound([name, from], [name, from + CHUNKS_PER_READ], false, true))))
    }
    return { name, maxId: Number.isInteger(maxId) ? (maxId as number) : 0, reads: Promise.all(reads) }
  })
  const records = await Promise.all(keys.map((key) => request(tx.objectStore(LOG).get(key))))
  const tables = replayRecords(records)
  let snapshotDocs = 0
  const result: StoredCollection[] = []
  for (const { name, maxId, reads } of snapshot) {
    const docs: StoredDoc[] = []
    for (const answer of await reads) for (const chunk of answer) for (const doc of checkChunk(chunk)) docs.push(doc)
    snapshotDocs += docs.length
    const table = tables.get(name)
    tables.delete(name)
    result.push({ name, maxId: Math.max(maxId, table?.maxId ?? 0), data: table ? mergeChanges(docs, table.changes) : docs })
  }
  // Collections the snapshot does not know yet.
  for (const [name, { maxId, changes }] of tables) result.push({ name, maxId, data: mergeChanges([], changes) })
  let logDocs = 0
  for (const record of records) for (const c of (record as { collections: Array<{ put: unknown[]; removed: unknown[] }> }).collections) logDocs += c.put.length + c.removed.length
  const sizes = { snapshotDocs, logDocs, logRecords: keys.length }
  return result.length === 0 ? { legacy: false, sizes } : { stored: { collections: result }, legacy: false, sizes }
}
