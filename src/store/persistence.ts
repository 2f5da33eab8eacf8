import type { ChangeSet, StoredDatabase, StoredDoc, TakeChanges } from './changeSet'
import type { StorageRole } from './webLock'

export type { ChangeSet, CollectionChanges, StoredCollection, StoredDatabase, StoredDoc, TakeChanges } from './changeSet'

/**
 * Where the local database lives between runs. A persistence connects to its storage, hands the
 * local store what is stored when it opens, and writes what changed at each save: never the whole
 * database, unless it asks for it. Adapters for browsers and Node live in their own modules, so
 * importing one never pulls the other's platform code into a bundle.
 */
export interface Persistence {
  /** The database's name: a file path, an IndexedDB database name, or a label. */
  readonly name: string
  /** Connects to the storage. Platform modules (`node:fs`, the worker) load here, lazily. */
  connect(): Promise<StorageConnection>
}

/** Why a stored database was set aside instead of loaded. */
export type SetAsideReason =
  /** It could not be read: damaged, random bytes, not a redux-replica database. */
  | 'unreadable'
  /** It was written by another format version of redux-replica (or by something else). */
  | 'incompatible'

/**
 * What a connection found in storage: a stored database (checked by the local store: its shape,
 * its format version), nothing, or something that cannot even be read (`unreadable`).
 */
export type Loaded =
  | { kind: 'none' }
  | { kind: 'found'; value: StoredDatabase }
  | { kind: 'unreadable'; error: unknown }

/** An open connection to one stored database. */
export interface StorageConnection {
  /** Reads the stored database. Rejects only if the storage itself cannot be reached. */
  load(): Promise<Loaded>
  /**
   * Writes one save: calls `take` exactly once, synchronously, before returning, and keeps (copies
   * or serializes) what it needs of the change set right then, since its documents are the live
   * ones. Resolves when the save is durable: all of it, or (after a crash) none of it. `take(true)`
   * asks for every document, for a connection that must rewrite its storage (after a migration or
   * a takeover). On rejection the changes stay pending for the next save.
   */
  save(take: TakeChanges): Promise<void>
  /**
   * Moves the stored database out of the way, keeping it under another name (never deleting it),
   * and returns that name. Afterwards the connection stands for an empty database.
   */
  setAside(reason: SetAsideReason): Promise<string>
  /** Releases the storage (waits for the save under way, stops background work). */
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

/** One database as `memoryPersistence` keeps it: per collection, its last id and its documents by id. */
export type MemoryDatabase = Map<string, { maxId: number; docs: Map<number, StoredDoc> }>

/**
 * Keeps the database in memory, as objects: a save copies the documents that changed (a shallow
 * copy each, nothing serialized), so its cost is the change's, whatever the database holds. Saves
 * are kept by this object, so a second replica opened with the same `memoryPersistence()` value
 * loads what the first saved: a reload, without a disk.
 *
 * @example
 * const persistence = memoryPersistence()
 * createReplica({ collections, transport, persistence })
 */
export function memoryPersistence(name = 'redux-replica'): Persistence & {
  /** The saved databases by name; a set-aside one moves to its new name. */
  readonly saved: Map<string, MemoryDatabase>
} {
  const saved = new Map<string, MemoryDatabase>()
  return {
    name,
    saved,
    connect: async () => ({
      async load(): Promise<Loaded> {
        const stored = saved.get(name)
        if (!stored) return { kind: 'none' }
        // Copies again: the loaded documents become live ones, which the store changes in place.
        // In id order (already so, as ids only grow: the sort just checks it).
        const collections = [...stored].map(([collection, { maxId, docs }]) => ({
          name: collection,
          maxId,
          data: [...docs.values()].map((doc) => ({ ...doc })).sort((a, b) => a.$loki - b.$loki),
        }))
        return { kind: 'found', value: { collections } }
      },
      async save(take) {
        keep(saved, name, take(false))
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

/**
 * Applies a change set to a kept database. Documents are copied one level deep: the local store
 * replaces a document's fields (rows, holder lists) rather than changing them in place, so what is
 * kept stays as it was saved.
 */
function keep(saved: Map<string, MemoryDatabase>, name: string, changes: ChangeSet): void {
  let stored = saved.get(name)
  if (!stored || changes.full) saved.set(name, (stored = new Map()))
  for (const { name: collection, maxId, put, removed } of changes.collections) {
    let kept = stored.get(collection)
    if (!kept) stored.set(collection, (kept = { maxId, docs: new Map() }))
    kept.maxId = maxId
    for (const doc of put) kept.docs.set(doc.$loki, { ...doc })
    for (const id of removed) kept.docs.delete(id)
  }
}
