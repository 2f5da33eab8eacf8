import Loki from 'lokijs'
import { ReplicaError } from '../core/errors'
import { changeTrackingAdapter, checkStoredSteps, loadStored, storedDocCount } from './changeSet'
import { ROWS_WORTH_YIELDING, runInSlices, yieldToEventLoop } from '../core/yieldToEventLoop'
import { describeFormatProblem, FORMAT_VERSION, META } from './format'
import type { MetaDoc } from './format'
import type { Persistence, SetAsideReason, StorageConnection } from './persistence'

/** A stored database that could not be used, and where it went. */
export interface SetAsideReport {
  reason: SetAsideReason
  /** The name it is kept under now: a file path, an IndexedDB database name. */
  movedTo: string
  /** What was wrong with it. */
  error: ReplicaError
}

export interface OpenedDatabase<Handles> {
  db: Loki
  connection: StorageConnection
  /** What `prepare` returned for the database in use. */
  handles: Handles
  /** Set when the stored database was unusable and moved aside; the database in use is then empty. */
  setAside?: SetAsideReport
}

/**
 * Loads the stored database and checks it: it must have the shape of one, carry this format version, and let
 * `prepare` (which gets the collections and builds their indexes) succeed. If any of that fails, the
 * stored database is moved aside (kept, never deleted) and an empty one is used instead. Rejects
 * only if the storage cannot be reached or the database cannot be moved aside.
 */
export async function openDatabase<Handles>(persistence: Persistence, prepare: (db: Loki) => Handles): Promise<OpenedDatabase<Handles>> {
  const connection = await persistence.connect().catch((error: unknown) => {
    throw storageError(`Could not open the local database "${persistence.name}"`, error)
  })
  const loaded = await connection.load().catch((error: unknown) => {
    throw storageError(`Could not read the local database "${persistence.name}"`, error)
  })
  // Loki tracks what each change touched (its incremental mode); saves write only that.
  const loki = () => new Loki(persistence.name, { adapter: changeTrackingAdapter(), autoload: false, autosave: false })
  const fresh = () => {
    const db = loki()
    const meta = db.getCollection<MetaDoc>(META) ?? db.addCollection<MetaDoc>(META, { unique: ['key'], disableMeta: true })
    if (!meta.by('key', 'format')) meta.insert({ key: 'format', value: FORMAT_VERSION })
    return db
  }
  if (loaded.kind === 'none') {
    const db = fresh()
    return { db, connection, handles: prepare(db) }
  }

  let problem: { reason: SetAsideReason; error: unknown }
  if (loaded.kind === 'unreadable') {
    problem = { reason: 'unreadable', error: loaded.error }
  } else {
    const db = loki()
    try {
      // Not in the task that ends the read (the log replayed there): in slices after it.
      const large = storedDocCount(loaded.value) >= ROWS_WORTH_YIELDING
      if (large) await yieldToEventLoop()
      await runInSlices(checkStoredSteps(loaded.value))
      loadStored(db, loaded.value)
      const format = describeFormatProblem(db.getCollection<MetaDoc>(META))
      if (!format) {
        // Loading and indexing are ~15 ms each per 100,000 rows: two tasks, not one long one.
        if (large) await yieldToEventLoop()
        return { db, connection, handles: prepare(db) }
      }
      problem = { reason: format.reason, error: new Error(format.message) }
    } catch (error) {
      problem = { reason: 'unreadable', error }
    }
  }

  const movedTo = await connection.setAside(problem.reason).catch((error: unknown) => {
    throw storageError(`The local database "${persistence.name}" is ${problem.reason} and could not be moved aside`, error)
  })
  const cause = problem.error instanceof Error ? problem.error.message : String(problem.error)
  const error = new ReplicaError(
    problem.reason === 'unreadable' ? 'database_unreadable' : 'database_incompatible',
    `The local database "${persistence.name}" was ${problem.reason} (${cause}); it was kept as "${movedTo}" and the replica starts empty`,
    { cause: problem.error },
  )
  const db = fresh()
  return { db, connection, handles: prepare(db), setAside: { reason: problem.reason, movedTo, error } }
}

function storageError(message: string, cause: unknown): ReplicaError {
  return new ReplicaError('storage', `${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
}
