import type { ChangeSet, StoredDatabase, StoredDoc } from './changeSet'
import { LEGACY_STORE, readLegacy } from './idbLegacy'
import { request, UnreadableDatabase } from './idbRequests'

/**
 * The IndexedDB layout (schema version 2): one record per document in `docs`, keyed
 * `[collection, $loki]`, and one per collection in `collections` (`{ maxId }`, keyed by name). A
 * save is one transaction that puts the documents that changed and deletes the removed ones, so
 * its cost is the change's; IndexedDB commits the transaction whole or not at all.
 */
export const SCHEMA_VERSION = 2
export const DOCS = 'docs'
export const COLLECTIONS = 'collections'

/** Ids per read request when loading: each answer is a short task, not one long one. */
const IDS_PER_READ = 2_000

/**
 * Opens the database at this schema, creating its stores; a database of the legacy layout keeps
 * its chunks until the first save. Rejects with `UnreadableDatabase` for a database this library did
 * not make (another schema, a later version).
 */
export function openDocs(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, SCHEMA_VERSION)
    let foreign = false
    req.onupgradeneeded = (event) => {
      const db = req.result
      if (event.oldVersion > 0 && !db.objectStoreNames.contains(LEGACY_STORE)) {
        foreign = true
        req.transaction?.abort()
        return
      }
      db.createObjectStore(DOCS)
      db.createObjectStore(COLLECTIONS)
    }
    req.onsuccess = () => {
      const db = req.result
      if (db.objectStoreNames.contains(DOCS) && db.objectStoreNames.contains(COLLECTIONS)) return resolve(db)
      db.close()
      reject(new UnreadableDatabase(`IndexedDB database "${name}" has no ${DOCS} and ${COLLECTIONS} stores`))
    }
    req.onerror = () => {
      const error = req.error
      if (foreign || error?.name === 'VersionError') reject(new UnreadableDatabase(`IndexedDB database "${name}" was not made by redux-replica (${error?.message ?? 'another schema'})`))
      else reject(error)
    }
    req.onblocked = () => reject(new Error(`IndexedDB database "${name}" is blocked by another connection`))
  })
}

/** Reads every document, in id ranges requested together in one transaction. `legacy`: read from the old layout. */
export async function readDocs(db: IDBDatabase): Promise<{ stored?: StoredDatabase; legacy: boolean }> {
  const hasLegacy = db.objectStoreNames.contains(LEGACY_STORE)
  const tx = db.transaction(hasLegacy ? [DOCS, COLLECTIONS, LEGACY_STORE] : [DOCS, COLLECTIONS], 'readonly')
  const names = (await request(tx.objectStore(COLLECTIONS).getAllKeys())) as string[]
  if (names.length === 0) {
    const legacy = hasLegacy ? await readLegacy(tx) : undefined
    return legacy ? { stored: legacy, legacy: true } : { legacy: false }
  }
  const metas = (await request(tx.objectStore(COLLECTIONS).getAll())) as Array<{ maxId: number }>
  const docs = tx.objectStore(DOCS)
  const collections = await Promise.all(
    names.map(async (collection, i) => {
      const maxId = metas[i]?.maxId ?? 0
      const reads: Promise<StoredDoc[]>[] = []
      for (let from = 0; from <= maxId; from += IDS_PER_READ) {
        reads.push(request(docs.getAll(IDBKeyRange.bound([collection, from], [collection, from + IDS_PER_READ], false, true))) as Promise<StoredDoc[]>)
      }
      return { name: collection, maxId, data: (await Promise.all(reads)).flat() }
    }),
  )
  return { stored: { collections }, legacy: false }
}

/** The stores a save writes. */
export function storesToWrite(db: IDBDatabase): string[] {
  return db.objectStoreNames.contains(LEGACY_STORE) ? [DOCS, COLLECTIONS, LEGACY_STORE] : [DOCS, COLLECTIONS]
}

/**
 * Writes a change set in `tx`. IndexedDB copies each value as `put` is called, so what is written
 * is the documents as they are now. A full set replaces everything, legacy chunks included.
 */
export function writeChanges(tx: IDBTransaction, changes: ChangeSet): void {
  const docs = tx.objectStore(DOCS)
  const collections = tx.objectStore(COLLECTIONS)
  if (changes.full) {
    docs.clear()
    collections.clear()
    if (tx.objectStoreNames.contains(LEGACY_STORE)) tx.objectStore(LEGACY_STORE).clear()
  }
  for (const { name, maxId, put, removed } of changes.collections) {
    collections.put({ maxId }, name)
    for (const doc of put) docs.put(doc, [name, doc.$loki])
    for (const id of removed) docs.delete([name, id])
  }
}
