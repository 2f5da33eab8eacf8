import type { StoredDatabase, StoredDoc } from './changeSet'
import { COLLECTIONS, DOCS } from './idbSchema'
import { request } from './idbRequests'

/**
 * The layout of schema version 2: one record per document in `docs`, keyed `[collection, $loki]`,
 * with `{ maxId }` per collection in `collections`. A database still in it is read once, and its
 * first save rewrites it as chunks and clears `docs`.
 */

/** Ids per read request: each answer is a short task, not one long one. */
const IDS_PER_READ = 2_000

/** True when `tx` (which must cover `docs`) finds documents in the per-document layout. */
export async function hasPerDocument(tx: IDBTransaction): Promise<boolean> {
  return (await request(tx.objectStore(DOCS).count())) > 0
}

/** Reads every document of the per-document layout, in id ranges requested together in `tx`. */
export async function readPerDocument(tx: IDBTransaction): Promise<StoredDatabase> {
  const names = (await request(tx.objectStore(COLLECTIONS).getAllKeys())) as string[]
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
  return { collections }
}
