import type { Loaded, Persistence, StorageConnection } from './persistence'
import { setAsideName } from './persistence'
import { moveIndexedDb } from './idbCopy'
import { acquireWriterLock, browserLocks } from './webLock'
import type { LockManagerLike } from './webLock'

/** The object store LokiJS's incremental adapter keeps its chunks in (its schema, version 1). */
const STORE = 'LokiIncrementalData'

/** Options of {@link indexedDbPersistence}. */
export interface IndexedDbPersistenceOptions {
  /**
   * The lock manager electing the one tab that writes. Default `navigator.locks`; where there is
   * none (old browsers, Node), every connection writes, as if it were alone. Tests pass a fake.
   */
  locks?: LockManagerLike
}

/**
 * Keeps the database in IndexedDB (browsers), with LokiJS's incremental adapter: documents are
 * saved in chunks of 100, and a save writes only the chunks that changed since the last one (plus
 * small metadata), so saving after a small change does not rewrite everything. The adapter
 * snapshots the database and stringifies the changed chunks in one synchronous step, so a saved
 * state never holds a cursor without its rows.
 *
 * One writer per origin: the tab holding the Web Lock `redux-replica:<name>` is the leader and
 * saves; other tabs load the database read-only, sync in memory, never save, and the first of them
 * in line takes over (with a full save) when the leader's tab goes away. See docs/persistence.md.
 *
 * @example
 * createReplica({ collections, transport, persistence: indexedDbPersistence('my-app') })
 *
 * Long (about 95 lines) because it is a factory: the connection it returns is short methods over
 * one shared database handle, lock and role, which must stay in one closure.
 */
export function indexedDbPersistence(name: string, options: IndexedDbPersistenceOptions = {}): Persistence {
  return {
    name,
    async connect(): Promise<StorageConnection> {
      const { default: IncrementalIndexedDBAdapter } = await import('lokijs/src/incremental-indexeddb-adapter.js')
      const adapter = new IncrementalIndexedDBAdapter()
      const release = () => {
        adapter.idb?.close()
        adapter.idb = null
        // The next save must not trust chunks it has not seen: it rewrites them all.
        adapter._prevLokiVersionId = null
        adapter._prevCollectionVersionIds = {}
      }
      const locks = options.locks ?? browserLocks()
      // A lock manager that refuses (an opaque origin) leaves the single-writer behaviour of old.
      const lock = locks ? await acquireWriterLock(locks, `redux-replica:${name}`).catch(() => undefined) : undefined
      let closed = false
      // A follower that found the database unusable moves it aside only once it leads.
      let asideOnTakeover: string | undefined
      let leading = lock === undefined || lock.role === 'leader'
      // A follower's way to the lead; a leader from the start has nothing to take over.
      const whenLeader = leading ? Promise.resolve<Loaded>({ kind: 'none' }) : lock!.held.then(async (): Promise<Loaded> => {
        if (closed) return new Promise<never>(() => {})
        let loaded: Loaded
        try {
          if (asideOnTakeover !== undefined) {
            release()
            await moveIndexedDb(name, asideOnTakeover)
          }
          // What the old leader left, read before this connection writes anything.
          const read = await loadChunks(name)
          read.db?.close()
          loaded = asideOnTakeover === undefined ? read.loaded : { kind: 'none' }
        } catch (error) {
          // The storage fails: lead anyway (saves report their own failures), taking nothing over.
          loaded = { kind: 'unreadable', error }
        }
        // The adapter's dirty-chunk tracking knows nothing of what the old leader wrote: make the
        // first save rewrite every chunk (the adapter's own path for "another writer changed it",
        // taken when the stored version id differs from this one, which no stored id ever equals).
        adapter._prevLokiVersionId = TAKEOVER
        adapter._prevCollectionVersionIds = {}
        if (closed) return new Promise<never>(() => {})
        // Saves reach IndexedDB from now on.
        leading = true
        return loaded
      })
      return {
        adapter,
        ...(lock
          ? {
              writer: {
                get role() {
                  return leading ? ('leader' as const) : ('follower' as const)
                },
                whenLeader,
              },
            }
          : {}),
        async load() {
          const { loaded, db } = await loadChunks(name)
          if (db) {
            adapter.idb = db
            // Another connection wants to delete or upgrade it: let go, as the adapter itself would.
            db.onversionchange = () => adapter.idb === db && release()
          }
          if (loaded.kind === 'found') {
            const loki = loaded.value as { idbVersionId?: string; collections: { name: string; idbVersionId?: string }[] }
            adapter._prevLokiVersionId = loki.idbVersionId ?? null
            adapter._prevCollectionVersionIds = Object.fromEntries(loki.collections.map((c) => [c.name, c.idbVersionId ?? null]))
          }
          return loaded
        },
        async setAside(reason) {
          const aside = setAsideName(name, reason)
          if (!leading) {
            // The leader writes this database (perhaps a newer or older version of the app): leave
            // it alone until this connection leads, and start empty in memory meanwhile.
            asideOnTakeover = aside
            return aside
          }
          release()
          await moveIndexedDb(name, aside)
          return aside
        },
        close: async () => {
          closed = true
          release()
          lock?.release()
        },
      }
    },
  }
}

/** A version id no stored database carries: the next save takes the adapter's full-rewrite path. */
const TAKEOVER = 'redux-replica:takeover'

type Chunk = { key: string; value: string }

/**
 * Reads the adapter's chunks and assembles the database object its own `loadDatabase` would. Done
 * here rather than by the adapter because the adapter parses chunks inside IndexedDB callbacks
 * where a bad chunk throws uncaught (the load never finishes), and because it deletes a database
 * that lacks its object store; both must end in `unreadable`, so the database is set aside instead.
 */
async function loadChunks(name: string): Promise<{ loaded: Loaded; db?: IDBDatabase }> {
  let db: IDBDatabase
  try {
    db = await openVersion1(name)
  } catch (error) {
    // A database at another version is not the adapter's; anything else is the storage failing.
    if ((error as DOMException | null)?.name === 'VersionError') return { loaded: { kind: 'unreadable', error } }
    throw error
  }
  if (!db.objectStoreNames.contains(STORE)) {
    db.close()
    return { loaded: { kind: 'unreadable', error: new Error(`IndexedDB database "${name}" has no ${STORE} store`) } }
  }
  const chunks = await new Promise<Chunk[]>((resolve, reject) => {
    const req = db.transaction(STORE, 'readonly').objectStore(STORE).getAll()
    req.onsuccess = () => resolve(req.result as Chunk[])
    req.onerror = () => reject(req.error)
  })
  if (chunks.length === 0) return { loaded: { kind: 'none' }, db }
  try {
    return { loaded: { kind: 'found', value: assemble(chunks) }, db }
  } catch (error) {
    db.close()
    return { loaded: { kind: 'unreadable', error } }
  }
}

function openVersion1(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1)
    // As the adapter does: a new database gets its object store.
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' })
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
    req.onblocked = () => reject(new Error(`IndexedDB database "${name}" is blocked by another connection`))
  })
}

/** `loki`, `<collection>.metadata` and `<collection>.chunk.<n>` records into one database object. */
function assemble(chunks: Chunk[]): object {
  let loki: { collections: { name: string }[] } | undefined
  const metadata = new Map<string, { data: unknown[] }>()
  const data = new Map<string, { n: number; docs: unknown[] }[]>()
  for (const { key, value } of chunks) {
    const parsed: unknown = JSON.parse(value)
    const parts = key.split('.')
    if (key === 'loki') loki = parsed as typeof loki
    else if (parts.length === 2 && parts[1] === 'metadata') metadata.set(parts[0] as string, parsed as { data: unknown[] })
    else if (parts.length === 3 && parts[1] === 'chunk' && Array.isArray(parsed)) {
      const list = data.get(parts[0] as string) ?? []
      list.push({ n: Number(parts[2]), docs: parsed })
      data.set(parts[0] as string, list)
    } else throw new Error(`Unknown chunk "${key}"`)
  }
  if (!loki || !Array.isArray(loki.collections)) throw new Error('No database metadata chunk')
  loki.collections = loki.collections.map((stub) => {
    const collection = metadata.get(stub.name)
    if (!collection) throw new Error(`No metadata chunk for collection "${stub.name}"`)
    // Documents in $loki order, as the adapter's chunk lookup requires.
    collection.data = (data.get(stub.name) ?? []).sort((a, b) => a.n - b.n).flatMap((chunk) => chunk.docs)
    return collection as unknown as { name: string }
  })
  return loki
}
