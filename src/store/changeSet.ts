import type Loki from 'lokijs'

/** A document as stored: the local store's fields plus `$loki`, its id within its collection. */
export interface StoredDoc {
  $loki: number
  [field: string]: unknown
}

/** A collection as stored: its documents in `$loki` order, and the last id it gave out. */
export interface StoredCollection {
  name: string
  maxId: number
  data: StoredDoc[]
}

/** A whole stored database, as a persistence hands it to the local store when it opens. */
export interface StoredDatabase {
  collections: StoredCollection[]
}

/** What one save writes for one collection. */
export interface CollectionChanges {
  name: string
  maxId: number
  /** Documents inserted or changed since the last save, whole, as they are now. */
  put: StoredDoc[]
  /** Ids (`$loki`) of documents removed since the last save. */
  removed: number[]
}

/**
 * What one save writes. `full`: the stored database is replaced by exactly these documents;
 * otherwise they are applied over it (one save = one atomic unit: all of it or none).
 */
export interface ChangeSet {
  full: boolean
  collections: CollectionChanges[]
}

/**
 * Hands a persistence what a save writes, and is called by it exactly once, synchronously, inside
 * `save()`. `full: true` asks for every document (a persistence that must rewrite its storage).
 * The documents are the live ones: copy or serialize what you keep before `save()` returns.
 */
export type TakeChanges = (full: boolean) => ChangeSet

/** A Loki collection with the field Loki keeps in incremental mode (untyped in @types/lokijs). */
type Tracked = Loki.Collection<object> & { dirtyIds: number[] }

/**
 * The adapter a local database is created with: it only switches on Loki's incremental mode, in
 * which every insert, update and remove notes the document's `$loki` in `dirtyIds`, so a save can
 * write what changed without any caller knowing about storage. Loki never saves through it.
 */
export function changeTrackingAdapter(): LokiPersistenceAdapter {
  return {
    mode: 'incremental',
    loadDatabase: (_name, callback) => callback(null),
    saveDatabase: (_name, _data, callback) => callback(new Error('redux-replica saves through its persistence, not through Loki')),
  }
}

/**
 * Takes what changed since the last save out of Loki (synchronously: a page's rows and cursor are
 * in it together or not at all) and returns it with a way to put it back when the save fails.
 */
export function takeChanges(db: Loki, full: boolean): { changes: ChangeSet; undo(): void } {
  const collections = db.collections as Tracked[]
  const taken = collections.map((collection) => {
    const ids = collection.dirtyIds
    collection.dirtyIds = []
    return ids
  })
  const changes: ChangeSet = {
    full,
    collections: collections.map((collection, i) => {
      if (full) return { name: collection.name, maxId: collection.maxId, put: collection.data as StoredDoc[], removed: [] }
      const put: StoredDoc[] = []
      const removed: number[] = []
      for (const id of new Set(taken[i])) {
        const doc = collection.get(id) as StoredDoc | null
        if (doc) put.push(doc)
        else removed.push(id)
      }
      return { name: collection.name, maxId: collection.maxId, put, removed }
    }).filter((changed) => full || changed.put.length > 0 || changed.removed.length > 0),
  }
  const undo = () => collections.forEach((collection, i) => (collection.dirtyIds = (taken[i] as number[]).concat(collection.dirtyIds)))
  return { changes, undo }
}

/** A change set whose documents no longer change with the live ones (one level deep: see memoryPersistence). */
export function copyChanges(changes: ChangeSet): ChangeSet {
  return { full: changes.full, collections: changes.collections.map((c) => ({ ...c, put: c.put.map((doc) => ({ ...doc })), removed: c.removed.slice() })) }
}

/** Forgets what changed (a follower never saves: when it leads, its first save writes everything). */
export function forgetChanges(db: Loki): void {
  for (const collection of db.collections as Tracked[]) collection.dirtyIds = []
}

/**
 * Saves what changed through the connection; on failure, the changes stay pending for the next
 * save. Returns the save's promise.
 */
export function saveChanges(db: Loki, save: (take: TakeChanges) => Promise<void>): Promise<void> {
  let undo = () => {}
  return save((full) => {
    const taken = takeChanges(db, full)
    undo = taken.undo
    return taken.changes
  }).catch((error: unknown) => {
    undo()
    throw error
  })
}

/** Documents checked between two pauses of {@link checkStoredSteps}. */
const DOCS_PER_STEP = 4096

/**
 * Checks that a stored database has the shape of one, as steps of a few thousand documents (the
 * first look at 100,000 documents just read from IndexedDB took 80 ms in Chromium: a caller may
 * yield between steps). Throws on anything else (the caller sets the stored database aside as
 * unreadable).
 */
export function* checkStoredSteps(stored: StoredDatabase): Generator<void, void> {
  if (!stored || !Array.isArray(stored.collections)) throw new Error('no collections')
  for (const collection of stored.collections) {
    if (typeof collection?.name !== 'string' || !Array.isArray(collection.data) || !Number.isInteger(collection.maxId)) {
      throw new Error(`collection ${JSON.stringify(collection?.name)} is malformed`)
    }
    let last = 0
    const { data } = collection
    for (let i = 0; i < data.length; i++) {
      if (i % DOCS_PER_STEP === DOCS_PER_STEP - 1) yield
      const doc = data[i]
      // Loki finds documents by binary search over $loki: they must be objects in strictly rising order.
      if (typeof doc !== 'object' || doc === null || !Number.isInteger(doc.$loki) || doc.$loki <= last || doc.$loki > collection.maxId) {
        throw new Error(`collection "${collection.name}" holds a malformed document`)
      }
      last = doc.$loki
    }
  }
}

/** Documents a stored database holds (0 if it is not shaped like one: the check says why). */
export function storedDocCount(stored: StoredDatabase): number {
  const collections: unknown = stored?.collections
  return Array.isArray(collections) ? collections.reduce((sum: number, c: { data?: unknown }) => sum + (Array.isArray(c?.data) ? c.data.length : 0), 0) : 0
}

/** Fills a fresh Loki database with a stored one that passed {@link checkStoredSteps}. */
export function loadStored(db: Loki, stored: StoredDatabase): void {
  // Loki's own loader, given what it needs to restore each collection as the local store made it.
  db.loadJSONObject(
    {
      name: db.filename,
      databaseVersion: 1.5,
      collections: stored.collections.map(({ name, maxId, data }) => ({
        name, maxId, data, disableMeta: true, disableChangesApi: true, disableDeltaChangesApi: true, cloneObjects: false, uniqueNames: [], dirtyIds: [], changes: [],
      })),
    } as unknown as Loki,
    {},
  )
}
