import type { StorageRole } from './webLock'

/**
 * Where the local database lives between runs. A persistence connects to its storage and hands the
 * local store a Loki adapter; the local store runs every load and save itself (Loki's autosave and
 * autoload are never used). Adapters for browsers and Node live in their own modules, so importing
 * one never pulls the other's platform code into a bundle.
 */
export interface Persistence {
  /** The database's name: a file path, an IndexedDB database name, or a label. */
  readonly name: string
  /** Connects to the storage. Platform modules (`node:fs`, the IndexedDB adapter) load here, lazily. */
  connect(): Promise<StorageConnection>
}

/** Why a stored database was set aside instead of loaded. */
export type SetAsideReason =
  /** It could not be read: truncated, random bytes, not a Loki database. */
  | 'unreadable'
  /** It was written by another format version of redux-replica (or by something else). */
  | 'incompatible'

/**
 * What a connection found in storage. `value` is what Loki loads: a serialized string or, from the
 * incremental IndexedDB adapter, a plain database object. Anything that is there but cannot even be
 * handed to Loki is `unreadable`.
 */
export type Loaded =
  | { kind: 'none' }
  | { kind: 'found'; value: string | object }
  | { kind: 'unreadable'; error: unknown }

/** An open connection to one stored database. */
export interface StorageConnection {
  /** The Loki adapter that saves the database (`saveDatabase`; loading goes through `load`). */
  readonly adapter: LokiPersistenceAdapter
  /** Reads the stored database. Rejects only if the storage itself cannot be reached. */
  load(): Promise<Loaded>
  /**
   * Moves the stored database out of the way, keeping it under another name (never deleting it),
   * and returns that name. Afterwards the connection stands for an empty database.
   */
  setAside(reason: SetAsideReason): Promise<string>
  /** Releases the storage (closes an IndexedDB connection); the adapter is unusable afterwards. */
  close(): Promise<void>
  /**
   * Present when one writer at a time may use the storage (IndexedDB with Web Locks). Absent: this
   * connection is the only writer and may always save.
   */
  readonly writer?: WriterRole
}

/** Whether a connection may save now, and when it may if it may not yet. */
export interface WriterRole {
  /** `leader`: saves go to storage. `follower`: another connection writes; saves must be skipped. */
  readonly role: StorageRole
  /**
   * Resolves when a follower has become the leader (at once for a leader), with what the storage
   * holds at that moment, read before this connection saves anything: the old leader's last save.
   * Its first save after that writes the whole database. A connection that leads from the start
   * resolves it at once with `{ kind: 'none' }`. Never resolves once the connection is closed.
   */
  readonly whenLeader: Promise<Loaded>
}

/** `name.unreadable-2024-05-01T10-00-00-000Z`: where a set-aside database goes. */
export function setAsideName(name: string, reason: SetAsideReason, now = new Date()): string {
  return `${name}.${reason}-${now.toISOString().replace(/[:.]/g, '-')}`
}

/**
 * Keeps the database in memory. Saves are kept by this object, so a second replica opened with the
 * same `memoryPersistence()` value loads what the first saved: a reload, without a disk.
 *
 * @example
 * const persistence = memoryPersistence()
 * createReplica({ collections, transport, persistence })
 */
export function memoryPersistence(name = 'redux-replica'): Persistence & {
  /** The saved databases by name, as serialized strings; tests may plant one. */
  readonly saved: Map<string, string>
} {
  const saved = new Map<string, string>()
  const adapter: LokiPersistenceAdapter = {
    loadDatabase: (dbname, callback) => callback(saved.get(dbname) ?? null),
    saveDatabase: (dbname, serialized: string, callback) => {
      saved.set(dbname, serialized)
      callback(null)
    },
  }
  return {
    name,
    saved,
    connect: async () => ({
      adapter,
      async load() {
        const value = saved.get(name)
        return value === undefined ? { kind: 'none' } : { kind: 'found', value }
      },
      async setAside(reason) {
        let aside = setAsideName(name, reason)
        while (saved.has(aside)) aside += '~'
        const value = saved.get(name)
        if (value !== undefined) saved.set(aside, value)
        saved.delete(name)
        return aside
      },
      close: async () => {},
    }),
  }
}
