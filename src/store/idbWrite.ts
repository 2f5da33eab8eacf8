import type { ChangeSet, CollectionChanges, StoredDoc } from './changeSet'
import { allStores, CHUNKS, chunkOf, COLLECTIONS, DOCS_PER_RECORD, LOG } from './idbSchema'
import type { LogValue } from './idbSchema'

/**
 * Writing one save in one readwrite transaction: all of it commits, or (abort, crash) none of it.
 *
 * IndexedDB clones a value when `put` is called, on the calling thread. A coalesced save during a
 * catch-up can hold tens of thousands of documents, and cloning them all in the task that calls
 * `save()` is what blocked Chromium's main thread for over a second. So a save puts its first
 * `IN_FLIGHT` values (records of at most `DOCS_PER_RECORD` documents) at once, and each further
 * value from the success callback of an earlier put: the transaction is still active there, and
 * every such callback is a task of its own, cloning one record. The values put later are shallow
 * copies taken before `save()` returns, since the documents handed over are the live ones (a
 * shallow copy of 30,000 documents takes about 2 ms; cloning them, 30 to 50 ms or more).
 */

/** Values put in the calling task, and put requests kept in flight after it. */
export const IN_FLIGHT = 2

/** One value a save puts. */
export interface Put {
  store: string
  key?: IDBValidKey
  value: LogValue | StoredDoc[] | { maxId: number }
}

/** What a save writes to the log: its sizes, for the compaction's bookkeeping. */
export interface Written {
  records: number
  docs: number
}

/** A change set cut into log records of at most `limit` documents and removals each. */
export function splitIntoRecords(collections: CollectionChanges[], limit = DOCS_PER_RECORD): LogValue[] {
  const records: LogValue[] = []
  let current: CollectionChanges[] = []
  let room = limit
  for (const { name, maxId, put, removed } of collections) {
    let puts = 0
    let removes = 0
    do {
      if (room === 0) {
        records.push({ collections: current })
        current = []
        room = limit
      }
      const part = { name, maxId, put: put.slice(puts, puts + room), removed: [] as number[] }
      puts += part.put.length
      room -= part.put.length
      part.removed = removed.slice(removes, removes + room)
      removes += part.removed.length
      room -= part.removed.length
      current.push(part)
    } while (puts < put.length || removes < removed.length)
  }
  if (current.length > 0) records.push({ collections: current })
  return records
}

/** A whole database as snapshot chunks (its documents are in `$loki` order) and collection records. */
export function snapshotPuts(collections: CollectionChanges[]): Put[] {
  const puts: Put[] = collections.map(({ name, maxId }) => ({ store: COLLECTIONS, key: name, value: { maxId } }))
  for (const { name, put } of collections) {
    for (let from = 0; from < put.length; ) {
      const n = chunkOf((put[from] as StoredDoc).$loki)
      let to = from + 1
      while (to < put.length && chunkOf((put[to] as StoredDoc).$loki) === n) to++
      puts.push({ store: CHUNKS, key: [name, n], value: put.slice(from, to) })
      from = to
    }
  }
  return puts
}

/** A put whose documents no longer change with the live ones (one level deep, as copyChanges). */
function detached(put: Put): Put {
  const { value } = put
  if (Array.isArray(value)) return { ...put, value: value.map((doc) => ({ ...doc })) }
  if ('collections' in value) return { ...put, value: { collections: value.collections.map((c) => ({ ...c, put: c.put.map((doc) => ({ ...doc })) })) } }
  return put
}

/**
 * Writes a change set in `tx`: incremental as log records, full by clearing every store (the log,
 * the snapshot, the layouts of earlier versions) and writing the snapshot directly. Returns what
 * went to the log, and a promise that resolves when the transaction commits, or rejects (having
 * aborted it) when a put throws.
 */
export function writeChanges(tx: IDBTransaction, changes: ChangeSet): { written: Written; done: Promise<void> } {
  let puts: Put[]
  let written: Written
  if (changes.full) {
    for (const store of allStores(tx.db)) tx.objectStore(store).clear()
    puts = snapshotPuts(changes.collections)
    written = { records: 0, docs: 0 }
  } else {
    const records = splitIntoRecords(changes.collections)
    puts = records.map((value) => ({ store: LOG, value }))
    written = { records: records.length, docs: changes.collections.reduce((sum, c) => sum + c.put.length + c.removed.length, 0) }
  }
  let failure: unknown
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(failure ?? tx.error ?? new Error('IndexedDB transaction aborted'))
  })
  const later = puts.slice(IN_FLIGHT).map(detached)
  let next = 0
  const putOne = ({ store, key, value }: Put) => {
    const req = key === undefined ? tx.objectStore(store).put(value) : tx.objectStore(store).put(value, key)
    req.onsuccess = () => {
      const following = later[next++]
      if (!following) return
      try {
        putOne(following)
      } catch (error) {
        failure = error
        tx.abort()
      }
    }
  }
  try {
    puts.slice(0, IN_FLIGHT).forEach(putOne)
  } catch (error) {
    failure = error
    tx.abort()
  }
  return { written, done }
}
