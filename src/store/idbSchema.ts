import type { CollectionChanges } from './changeSet'
import { LEGACY_STORE } from './idbLegacy'
import { UnreadableDatabase } from './idbRequests'

/**
 * The IndexedDB layout (schema version 3): a log and a chunked snapshot.
 *
 * - `log`: out-of-line, auto-incremented integer keys, so key order is save order. Each record is
 *   part of one save's change set (`LogValue`, at most `DOCS_PER_RECORD` documents and removals);
 *   a save puts its records in one transaction.
 * - `chunks`: the snapshot, keyed `[collection, n]`; chunk n holds the documents whose `$loki` is
 *   in `[n * CHUNK_IDS, (n + 1) * CHUNK_IDS)`, in `$loki` order. Compaction folds the oldest log
 *   records into them; a full save writes them directly.
 * - `collections`: `{ maxId }` by collection name, as of the snapshot (the log's records carry
 *   their own, and the larger wins).
 *
 * The stores of earlier layouts stay until the first save clears them: `docs` (schema version 2,
 * one record per document) and LokiJS's chunks (idbLegacy.ts).
 */
export const SCHEMA_VERSION = 3
export const LOG = 'log'
export const CHUNKS = 'chunks'
export const COLLECTIONS = 'collections'
/** Schema version 2: one record per document, keyed `[collection, $loki]`. */
export const DOCS = 'docs'

/** Documents and removals per log record: a record is one structured clone of bounded size. */
export const DOCS_PER_RECORD = 1_000
/** `$loki` ids per snapshot chunk. */
export const CHUNK_IDS = 1_000

/** A log record: part of one save's change set. */
export interface LogValue {
  collections: CollectionChanges[]
}

/** The chunk a document belongs to. */
export const chunkOf = (id: number): number => Math.floor(id / CHUNK_IDS)

/** The stores of earlier layouts this database still has. */
export function oldStores(db: IDBDatabase): string[] {
  return [DOCS, LEGACY_STORE].filter((store) => db.objectStoreNames.contains(store))
}

/** Every store of this database, old ones included: what a full save clears. */
export function allStores(db: IDBDatabase): string[] {
  return [LOG, CHUNKS, COLLECTIONS, ...oldStores(db)]
}

/**
 * Opens the database at this schema, creating its stores; a database of an earlier layout (schema
 * version 1 or 2) keeps its data until the first save. Rejects with `UnreadableDatabase` for a
 * database this library did not make (other stores, a later version).
 */
export function openReplicaDb(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, SCHEMA_VERSION)
    let foreign = false
    req.onupgradeneeded = (event) => {
      const db = req.result
      const has = (store: string) => db.objectStoreNames.contains(store)
      if (event.oldVersion > 0 && !has(LEGACY_STORE) && !(has(DOCS) && has(COLLECTIONS))) {
        foreign = true
        req.transaction?.abort()
        return
      }
      if (!has(COLLECTIONS)) db.createObjectStore(COLLECTIONS)
      db.createObjectStore(LOG, { autoIncrement: true })
      db.createObjectStore(CHUNKS)
    }
    req.onsuccess = () => {
      const db = req.result
      if ([LOG, CHUNKS, COLLECTIONS].every((store) => db.objectStoreNames.contains(store))) return resolve(db)
      db.close()
      reject(new UnreadableDatabase(`IndexedDB database "${name}" has no ${LOG}, ${CHUNKS} and ${COLLECTIONS} stores`))
    }
    req.onerror = () => {
      const error = req.error
      if (foreign || error?.name === 'VersionError') reject(new UnreadableDatabase(`IndexedDB database "${name}" was not made by redux-replica (${error?.message ?? 'another schema'})`))
      else reject(error)
    }
    req.onblocked = () => reject(new Error(`IndexedDB database "${name}" is blocked by another connection`))
  })
}
