import Loki from 'lokijs'
import { ReplicaError } from '../errors'
import type { Filter, Key, Version } from '../protocol'
import type { Change, Checkpoint, Row } from '../sync/transport'
import type { Persistence } from './persistence'
import { compareVersions } from './versions'

/** A subscription as the local store keeps it, next to the data it brought. */
export interface StoredSubscription {
  key: string
  /** A short number naming the subscription in its rows' holder lists. */
  id: number
  collection: string
  filter: Filter
  /** Where its stream stands; null before the first page. */
  checkpoint: Checkpoint | null
  /** Changes received so far. */
  received: number
}

/** What applying a page changed, to be dispatched to Redux. */
export interface AppliedPage {
  /** Rows inserted or replaced by a newer version, in page order. */
  upserted: Row[]
  /** Keys of rows removed. */
  removed: Key[]
}

/** A page to apply: its changes plus where the stream stands after them. */
export interface PageToApply {
  subscription: Pick<StoredSubscription, 'key' | 'collection' | 'filter'>
  changes: Change[]
  checkpoint: Checkpoint | null
}

/**
 * The local database: every read and write of LokiJS goes through here, so Loki stays replaceable.
 * Loki never hands its own objects out: each document wraps the row (`{ k, v, r }`) and only the
 * row, which Loki never mutates, crosses into Redux. No `$loki` or `meta` can leak.
 */
export interface LocalStore {
  /** Every stored row of a collection. */
  readAll(collection: string): Row[]
  subscription(key: string): StoredSubscription | undefined
  subscriptions(): StoredSubscription[]
  /**
   * Writes a page's changes and its checkpoint in one synchronous step, so any snapshot of the
   * database holds both or neither. A row replaces the held one only if its version is newer;
   * applying the same page twice changes nothing. A tombstone takes the row from this subscription;
   * the row goes when no subscription holds it any more.
   */
  applyPage(page: PageToApply): AppliedPage
  /** Saves everything applied so far. */
  flush(): Promise<void>
  /** Saves, then releases the database. */
  close(): Promise<void>
}

export interface LocalStoreOptions {
  persistence: Persistence
  /** Collection name to the name of its primary-key field. */
  collections: Record<string, { primaryKey: string }>
}

/**
 * A stored row: key as string (Loki's unique index compares strings), version, the row itself, and
 * the ids of the subscriptions whose streams hold it. Holders make overlapping subscriptions
 * converge: a row that leaves one filter stays while another subscription still holds it, and a
 * delete removes it once every holder's stream has brought the tombstone.
 */
interface StoredRow {
  k: string
  v: Version
  r: Row
  s: number[]
}

type Collection<T extends object> = Loki.Collection<T>

const SUBSCRIPTIONS = '_replica_subscriptions'

/** Opens (loads) the local database. */
export async function openLocalStore(options: LocalStoreOptions): Promise<LocalStore> {
  const db = new Loki(options.persistence.name, {
    adapter: options.persistence.adapter(),
    autoload: false,
    autosave: false,
  })
  await new Promise<void>((resolve, reject) =>
    db.loadDatabase({}, (error: unknown) =>
      error ? reject(new ReplicaError('storage', `Could not load the local database: ${String(error)}`, { cause: error })) : resolve(),
    ),
  )
  const rows = new Map<string, Collection<StoredRow>>()
  for (const name of Object.keys(options.collections)) rows.set(name, openCollection<StoredRow>(db, name, 'k'))
  const subscriptions = openCollection<StoredSubscription>(db, SUBSCRIPTIONS, 'key')

  const collectionOf = (name: string): Collection<StoredRow> => {
    const collection = rows.get(name)
    if (!collection) throw new ReplicaError('unknown_collection', `Unknown collection "${name}"`)
    return collection
  }
  let saving: Promise<void> = Promise.resolve()
  const save = (): Promise<void> => {
    // One save at a time, each after the previous: Loki's adapters do not queue.
    saving = saving.then(
      () => new Promise<void>((resolve, reject) =>
        db.saveDatabase((error?: unknown) =>
          error ? reject(new ReplicaError('storage', `Could not save the local database: ${String(error)}`, { cause: error })) : resolve(),
        ),
      ),
    )
    return saving
  }

  return {
    readAll: (collection) => collectionOf(collection).data.map((doc) => doc.r),
    subscription: (key) => copySubscription(subscriptions.by('key', key)),
    subscriptions: () => subscriptions.data.map((doc) => copySubscription(doc) as StoredSubscription),

    applyPage({ subscription, changes, checkpoint }) {
      const collection = collectionOf(subscription.collection)
      const { primaryKey } = options.collections[subscription.collection] as { primaryKey: string }
      let stored = subscriptions.by('key', subscription.key)
      if (!stored) {
        const id = subscriptions.data.reduce((max, doc) => Math.max(max, doc.id), 0) + 1
        stored = subscriptions.insert({ ...subscription, id, checkpoint: null, received: 0 }) as StoredSubscription
      }
      const holder = stored.id
      const applied: AppliedPage = { upserted: [], removed: [] }
      for (const change of lastChangePerKey(changes)) {
        const k = String(change.key)
        const held = collection.by('k', k)
        if (change.deleted) {
          if (!held || !held.s.includes(holder)) continue
          held.s = held.s.filter((id) => id !== holder)
          if (held.s.length > 0) {
            collection.update(held)
            continue
          }
          collection.remove(held)
          applied.removed.push(held.r[primaryKey] as Key)
        } else if (!held) {
          collection.insert({ k, v: change.version, r: change.row, s: [holder] })
          applied.upserted.push(change.row)
        } else {
          const newer = compareVersions(change.version, held.v) > 0
          const holds = held.s.includes(holder)
          if (!newer && holds) continue
          if (!holds) held.s = [...held.s, holder]
          if (newer) {
            held.v = change.version
            held.r = change.row
            applied.upserted.push(change.row)
          }
          collection.update(held)
        }
      }
      stored.checkpoint = checkpoint
      stored.received += changes.length
      subscriptions.update(stored)
      return applied
    },

    flush: save,
    async close() {
      await save()
      await new Promise<void>((resolve) => db.close(() => resolve()))
    },
  }
}

/** Gets a collection as loaded, or adds it; the unique index is ensured either way. */
function openCollection<T extends object>(db: Loki, name: string, unique: keyof T & string): Collection<T> {
  const existing = db.getCollection<T>(name) as Collection<T> | null
  const collection =
    existing ?? db.addCollection<T>(name, { unique: [unique], disableMeta: true, disableChangesApi: true, clone: false })
  collection.ensureUniqueIndex(unique)
  return collection
}

/** The last change of each key wins, in the order of its last appearance. */
function lastChangePerKey(changes: Change[]): Iterable<Change> {
  if (changes.length < 2) return changes
  const byKey = new Map<string, Change>()
  for (const change of changes) {
    const k = String(change.key)
    byKey.delete(k)
    byKey.set(k, change)
  }
  return byKey.values()
}

function copySubscription(doc: StoredSubscription | null | undefined): StoredSubscription | undefined {
  if (!doc) return undefined
  const { key, id, collection, filter, checkpoint, received } = doc
  return { key, id, collection, filter, checkpoint, received }
}
