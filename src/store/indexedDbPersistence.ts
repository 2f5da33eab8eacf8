import { copyChanges } from './changeSet'
import type { ChangeSet } from './changeSet'
import type { Loaded, Persistence, StorageConnection } from './persistence'
import { setAsideName } from './persistence'
import { openDocs, readDocs, storesToWrite, writeChanges } from './idbDocs'
import { committed, UnreadableDatabase } from './idbRequests'
import { moveIndexedDb } from './idbCopy'
import { acquireWriterLock, browserLocks } from './webLock'
import type { LockManagerLike } from './webLock'

/** Writes a change set in one transaction, or none of it. */
function write(tx: IDBTransaction, changes: ChangeSet): void {
  try {
    writeChanges(tx, changes)
  } catch (error) {
    tx.abort()
    throw error
  }
}

/** Options of {@link indexedDbPersistence}. */
export interface IndexedDbPersistenceOptions {
  /**
   * The lock manager electing the one tab that writes. Default `navigator.locks`; where there is
   * none (old browsers, Node), every connection writes, as if it were alone. Tests pass a fake.
   */
  locks?: LockManagerLike
}

/**
 * Keeps the database in IndexedDB (browsers), one record per document: a save is one transaction
 * that puts the documents changed since the last save and deletes the removed ones, so it costs
 * what changed, and holds a page's rows with its cursor or neither. Loading reads the documents
 * in many small requests, so no single task holds the main thread for the whole database.
 * A database in the layout of earlier versions (LokiJS's chunks of 100) is read and rewritten at
 * the first save.
 *
 * One writer per origin: the tab holding the Web Lock `redux-replica:<name>` is the leader and
 * saves; other tabs load the database read-only, sync in memory, never save, and the first of them
 * in line takes over (with a full save) when the leader's tab goes away. See docs/persistence.md.
 *
 * @example
 * createReplica({ collections, transport, persistence: indexedDbPersistence('my-app') })
 *
 * Long (about 90 lines) because it is a factory: the connection it returns is short methods over
 * one shared database handle, lock and role, which must stay in one closure.
 */
export function indexedDbPersistence(name: string, options: IndexedDbPersistenceOptions = {}): Persistence {
  return {
    name,
    async connect(): Promise<StorageConnection> {
      let db: IDBDatabase | undefined
      const opened = async (): Promise<IDBDatabase> => {
        if (db) return db
        const fresh = await openDocs(name)
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
          const { stored, legacy } = await readDocs(await opened())
          // The old layout is rewritten whole by the first save.
          if (legacy) rewrite = true
          return stored ? { kind: 'found', value: stored } : { kind: 'none' }
        } catch (error) {
          if (error instanceof UnreadableDatabase) return { kind: 'unreadable', error }
          throw error
        }
      }
      // The next save replaces everything: after reading the old layout, and at a takeover.
      let rewrite = false
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
            tx = db?.transaction(storesToWrite(db), 'readwrite')
          } catch {
            // Closed under us (the browser may close a connection): opened again below.
            release()
          }
          const changes = take(full)
          if (tx) {
            // IndexedDB copies each document as it is put: the save holds them as they are now.
            write(tx, changes)
          } else {
            // Not open: keep copies of the changes while it opens.
            const copies = copyChanges(changes)
            const open = await opened()
            write((tx = open.transaction(storesToWrite(open), 'readwrite')), copies)
          }
          await committed(tx)
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
