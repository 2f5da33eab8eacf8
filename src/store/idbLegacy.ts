import type { StoredDatabase } from './changeSet'
import { UnreadableDatabase } from './idbRequests'

/**
 * The IndexedDB layout before per-document records: LokiJS's incremental adapter kept the
 * database in the object store `LokiIncrementalData` as JSON chunks of 100 documents
 * (`<collection>.chunk.<n>`), a metadata chunk per collection and one `loki` chunk listing them.
 * A database still in that layout is read once, and its first save rewrites it (idbSchema.ts).
 */
export const LEGACY_STORE = 'LokiIncrementalData'

type Chunk = { key: string; value: string }

/** Reads the legacy chunks in `tx`; undefined when there are none. Rejects with `UnreadableDatabase` when they cannot be assembled. */
export function readLegacy(tx: IDBTransaction): Promise<StoredDatabase | undefined> {
  return new Promise((resolve, reject) => {
    const req = tx.objectStore(LEGACY_STORE).getAll()
    req.onsuccess = () => {
      const chunks = req.result as Chunk[]
      try {
        resolve(chunks.length === 0 ? undefined : assemble(chunks))
      } catch (error) {
        reject(new UnreadableDatabase(`its chunks cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error }))
      }
    }
    req.onerror = () => reject(req.error)
  })
}

/** `loki`, `<collection>.metadata` and `<collection>.chunk.<n>` records into one stored database. */
function assemble(chunks: Chunk[]): StoredDatabase {
  let loki: { collections: { name: string }[] } | undefined
  const metadata = new Map<string, { maxId?: unknown }>()
  const data = new Map<string, { n: number; docs: unknown[] }[]>()
  for (const { key, value } of chunks) {
    const parsed: unknown = JSON.parse(value)
    const parts = key.split('.')
    if (key === 'loki') loki = parsed as typeof loki
    else if (parts.length === 2 && parts[1] === 'metadata') metadata.set(parts[0] as string, parsed as { maxId?: unknown })
    else if (parts.length === 3 && parts[1] === 'chunk' && Array.isArray(parsed)) {
      const list = data.get(parts[0] as string) ?? []
      list.push({ n: Number(parts[2]), docs: parsed })
      data.set(parts[0] as string, list)
    } else throw new Error(`Unknown chunk "${key}"`)
  }
  if (!loki || !Array.isArray(loki.collections)) throw new Error('No database metadata chunk')
  return {
    collections: loki.collections.map(({ name }) => {
      const collection = metadata.get(name)
      if (!collection) throw new Error(`No metadata chunk for collection "${name}"`)
      // Documents in $loki order, as the adapter's chunks kept them.
      const docs = (data.get(name) ?? []).sort((a, b) => a.n - b.n).flatMap((chunk) => chunk.docs)
      return { name, maxId: collection.maxId as number, data: docs as StoredDatabase['collections'][number]['data'] }
    }),
  }
}
