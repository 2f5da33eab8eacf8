import { copyChanges } from './changeSet'
import type { ChangeSet } from './changeSet'
import type { Loaded, Persistence, StorageConnection } from './persistence'
import { setAsideName } from './persistence'
import { compactPastHalf, createCompactor } from './idbCompaction'
import type { LogSizes } from './idbCompaction'
import { readDatabase } from './idbLoad'
import { UnreadableDatabase } from './idbRequests'
import { allStores, LOG, openReplicaDb } from './idbSchema'
import { writeChanges } from './idbWrite'
import { moveIndexedDb } from './idbCopy'
import { acquireWriterLock, browserLocks } from './webLock'
import type { LockManagerLike } from './webLock'

export type { LogSizes as IndexedDbLogSizes } from './idbCompaction'

/** The stores a save writes: the log, or every store for a full save (it clears them all). */
const storesFor = (db: IDBDatabase, full: boolean): string[] => (full ? allStores(db) : [LOG])

/** Documents in a full change set: the snapshot it writes. */
const docsIn = (changes: ChangeSet): number => changes.collections.reduce((sum, c) => sum + c.put.length, 0)

/** Options of {@link indexedDbPersistence}. */
export interface IndexedDbPersistenceOptions {
  /**
   * The lock manager electing the one tab that writes. Default `navigator.locks`; where there is
   * none (old browsers, Node), every connection writes, as if it were alone. Tests pass a fake.
   */
  locks?: LockManagerLike
  /**
   * When to compact the log into the snapshot: asked after each save while no compaction runs,
   * with the documents in the snapshot, and the documents and records in the log. Default: once
   * the log holds more documents than half the snapshot (and 5,000), or more than 1,000 records.
   * @example indexedDbPersistence('my-app', { compactWhen: ({ logRecords }) => logRecords > 100 })
   */
  compactWhen?(sizes: LogSizes): boolean
}

/**
 * Keeps the database in IndexedDB (browsers) as a log over a chunked snapshot (schema version 3,
 * docs/persistence.md). A save is one transaction that appends what changed since the last save
 * as log records of at most 1,000 documents each, so it costs what changed and holds a page's rows
 * with its cursor or neither; a large save clones one record per task, not all of them at once.
 * In idle time the leader folds the oldest records into snapshot chunks of 1,000 ids, one small
 * transaction at a time. Loading reads the chunks and the log in many short requests and replays
 * the log over the chunks. A database in the layout of earlier versions (one record per
 * document, or LokiJS's chunks of 100) is read and rewritten at the first save.
 *
 * One writer per origin: the tab holding the Web Lock `redux-replica:<name>` is the leader and
 * saves (and compacts); other tabs load the database read-only, sync in memory, never save, and
 * the first of them in line takes over (with a full save) when the leader's tab goes away.
 *
 * @example
 * createReplica({ collections, transport, persistence: indexedDbPersistence('my-app') })
 *
 * Long (about 100 lines) because it is a factory: the connection it returns is short methods over
 * one shared database handle, lock, role and compactor, which must stay in one closure.
 */
export function indexedDbPersistence(name: string, options: IndexedDbPersistenceOptions = {}): Persistence {
  return {
    name,
    async connect(): Promise<StorageConnection> {
      let db: IDBDatabase | undefined
      const opened = async (): Promise<IDBDatabase> => {
        if (db) return db
        const fresh = await openReplicaDb(name)
        // Another connection wants to delete or upgrade it, or the browser closed it: let go.
        fresh.onversionchange = () => db === fresh && release()
        fresh.onclose = () => db === fresh && release()
        return (db = fresh)
      }
      const release = () => {
        db?.close()
        db = undefined
      }
      const read = async (): Promise<Loaded> => {
        try {
          const { stored, legacy, sizes } = await readDatabase(await opened())
          // An earlier layout is rewritten whole by the first save.
          if (legacy) rewrite = true
          compactor.loaded(sizes)
          return stored ? { kind: 'found', value: stored } : { kind: 'none' }
        } catch (error) {
          if (error instanceof UnreadableDatabase) return { kind: 'unreadable', error }
          throw error
        }
      }
      // The next save replaces everything: after reading the old layout, and at a takeover.
      let rewrite = false
      // Runs only after saves, so only in the leader.
      const compactor = createCompactor(() => db, options.compactWhen ?? compactPastHalf)
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
          const left = await read()
          loaded = asideOnTakeover === undefined ? left : { kind: 'none' }
        } catch (error) {
          // The storage fails: lead anyway (saves report their own failures), taking nothing over.
          loaded = { kind: 'unreadable', error }
        }
        // What the old leader wrote is not what this tab holds: its first save writes everything.
        rewrite = true
        if (closed) return new Promise<never>(() => {})
        // Saves reach IndexedDB from now on.
        leading = true
        return loaded
      })
      return {
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
        load: read,
        async save(take) {
          const full = rewrite
          let tx: IDBTransaction | undefined
          try {
            tx = db?.transaction(storesFor(db, full), 'readwrite')
          } catch {
            // Closed under us (the browser may close a connection): opened again below.
            release()
          }
          let changes = take(full)
          if (!tx) {
            // Not open: keep copies of the changes while it opens.
            changes = copyChanges(changes)
            const open = await opened()
            tx = open.transaction(storesFor(open, full), 'readwrite')
          }
          // IndexedDB clones what is put at once; writeChanges copies what it puts later.
          const { written, done } = writeChanges(tx, changes)
          await done
          compactor.saved(written, full ? { snapshotDocs: docsIn(changes) } : undefined)
          if (full) rewrite = false
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
          compactor.loaded({ snapshotDocs: 0, logDocs: 0, logRecords: 0 })
          return aside
        },
        close: async () => {
          closed = true
          compactor.stop()
          release()
          lock?.release()
        },
      }
    },
  }
}
