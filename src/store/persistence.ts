import Loki from 'lokijs'

/**
 * Where the local database lives between runs. A persistence gives the Loki adapter that loads and
 * saves it; the local store runs all saves itself (Loki's autosave and autoload are never used).
 */
export interface Persistence {
  /** The database's name: a file path, an IndexedDB database name, or a label. */
  readonly name: string
  /** The Loki adapter that loads and saves the database. */
  adapter(): LokiPersistenceAdapter
}

/**
 * Keeps the database in memory. Saves are kept by this object, so a second replica opened with the
 * same `memoryPersistence()` value loads what the first saved: a reload, without a disk.
 *
 * @example
 * const persistence = memoryPersistence()
 * createReplica({ collections, transport, persistence })
 */
export function memoryPersistence(name = 'redux-replica'): Persistence {
  const adapter = new Loki.LokiMemoryAdapter()
  return { name, adapter: () => adapter }
}
