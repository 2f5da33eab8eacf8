import type Loki from 'lokijs'
import { ReplicaError } from '../core/errors'
import { ROWS_WORTH_YIELDING, yieldToEventLoop } from '../core/yieldToEventLoop'
import { forgetChanges, saveChanges } from './changeSet'
import { openDatabase } from './openDatabase'
import { onPageHidden } from './pageLifecycle'
import { createSaveQueue } from './saveQueue'
import { compareVersions } from '../core/versions'
import { createRepairSession } from './repairSession'
import { takeLeadWhenFree } from './leaderTakeover'
import { holdRow, lastChangePerKey } from './rows'
import { TOMBSTONES, tombstoneMemory } from './tombstones'
import { createVouching } from './vouching'
import { createEviction } from './eviction'
import type { TombstoneDoc, TombstoneMemory } from './tombstones'
import type { Collection, StoredRow } from './rows'
import { matchesFilter } from '../core/scope'
import { randomId } from '../core/ids'
import { createOutboxStore, OUTBOX } from './outboxStore'
import type { OutboxEntry } from '../core/writeTypes'
import { digestAccumulator } from '../core/digestHash'
import type { AppliedPage, LocalStore, LocalStoreOptions, StoredSubscription } from './localStoreTypes'
export type { AppliedPage, LocalStore, LocalStoreOptions, PageToApply, RepairSession, StoredSubscription } from './localStoreTypes'

/** Default of `saveInterval`: at most a second of pages is lost to a crash. */
export const DEFAULT_SAVE_INTERVAL = 1000


const SUBSCRIPTIONS = '_replica_subscriptions'

/**
 * Opens (loads) the local database. A stored database that cannot be used is moved aside and the
 * store starts empty (see `setAside`); rejects only if the storage itself cannot be used.
 * (Long because it is a factory: its length is the short methods of the object it returns, closed over one shared state; splitting it would pass that state around instead. Rows, vouching, repairs, the outbox and the takeover are modules of their own.)
 */
export async function openLocalStore(options: LocalStoreOptions): Promise<LocalStore> {
  const { db, connection, handles, setAside } = await openDatabase(options.persistence, (loki) => ({
    rows: new Map(Object.keys(options.collections).map((name) => [name, openCollection<StoredRow>(loki, name, 'k')])),
    subscriptions: openCollection<StoredSubscription>(loki, SUBSCRIPTIONS, 'key'),
    outbox: openCollection<OutboxEntry>(loki, OUTBOX, 'seq'),
    tombstones: openCollection<TombstoneDoc>(loki, TOMBSTONES, 'id'),
  }))
  const { rows, subscriptions } = handles
  // Indexing the rows (holders, below) is a task of its own for a large database, after the
  // collections' own indexes (openDatabase): no one task of opening runs long.
  if ([...rows.values()].reduce((sum, collection) => sum + collection.data.length, 0) >= ROWS_WORTH_YIELDING) await yieldToEventLoop()
  // One memory per collection, made once: a page asks for it per row.
  const memories = new Map<string, TombstoneMemory>()
  const tombstonesOf = (name: string): TombstoneMemory => {
    let memory = memories.get(name)
    if (!memory) memories.set(name, (memory = tombstoneMemory(handles.tombstones, name)))
    return memory
  }

  const collectionOf = (name: string): Collection<StoredRow> => {
    const collection = rows.get(name)
    if (!collection) throw new ReplicaError('unknown_collection', `Unknown collection "${name}"`)
    return collection
  }
  // Until the takeover below is done (the connection itself may write a little earlier).
  let following = connection.writer?.role === 'follower'
  const queue = createSaveQueue({
    interval: options.saveInterval ?? DEFAULT_SAVE_INTERVAL,
    // A save takes what changed (Loki's dirty ids) in one synchronous step, and applyPage writes
    // rows and cursor in one synchronous step: no save holds one without the other. A follower
    // does not write: its changes stay in memory until it leads (then saved in full).
    save: () =>
      following
        ? Promise.resolve(forgetChanges(db))
        : saveChanges(db, (take) => connection.save(take)).catch((error: unknown) => {
            throw new ReplicaError('storage', `Could not save the local database "${options.persistence.name}": ${describe(error)}`, { cause: error })
          }),
    onSaved: (error) => options.onSaved?.(error as ReplicaError | undefined),
  })
  const stopWatchingPage = onPageHidden(() => queue.flush().catch(() => {}))
  let closed = false
  const writes = createOutboxStore({
    outbox: handles.outbox,
    rowsOf: collectionOf,
    tombstonesOf,
    primaryKeys: options.collections,
    holdersFor: (collection, row) =>
      subscriptions.data.filter((doc) => doc.collection === collection && matchesFilter(row, doc.filter)).map((doc) => doc.id),
    // A local write is saved at once, not within saveInterval: it exists nowhere else yet.
    changed: (urgent) => {
      queue.changed()
      if (urgent) queue.flush().catch(() => {}) // failures reach onSaved
    },
    mutationId: randomId,
  })

  if (following && connection.writer) {
    takeLeadWhenFree(connection.writer, {
      connection,
      writes,
      collections: options.collections,
      closed: () => closed,
      lead() {
        following = false
        // The first save writes everything (the connection asks for it): on disk, exactly this memory.
        queue.changed()
        queue.flush().catch(() => {}) // failures reach onSaved
      },
      ...(options.onLeader ? { onLeader: options.onLeader } : {}),
    })
  }

  /**
   * Records a time on a stored subscription. Not worth a save of its own (a poll that brings
   * nothing would rewrite a whole file database every time): it is saved with the next one.
   */
  const stamp = (key: string, field: 'lastSyncedAt' | 'digestedAt', at: string) => {
    const stored = subscriptions.by('key', key)
    if (!stored) return
    stored[field] = at
    subscriptions.update(stored)
    queue.changed(false)
  }

  const vouching = createVouching({
    subscriptions,
    rowsOf: collectionOf,
    primaryKeys: options.collections,
    tombstones: handles.tombstones,
    tombstonesOf,
    isPending: (collection, k) => writes.isPending(collection, k),
  })
  const eviction = createEviction({
    subscriptions,
    rowsOf: collectionOf,
    primaryKeys: options.collections,
    isPending: (collection, k) => writes.isPending(collection, k),
    isRunning: vouching.isRunning,
    changed: () => queue.changed(),
  })
  const storedOrNew = (subscription: Pick<StoredSubscription, 'key' | 'collection' | 'filter'>): StoredSubscription => {
    const stored = subscriptions.by('key', subscription.key)
    if (stored) return stored
    const id = subscriptions.data.reduce((max, doc) => Math.max(max, doc.id), 0) + 1
    return subscriptions.insert({ ...subscription, id, checkpoint: null, received: 0 }) as StoredSubscription
  }

  return {
    // Rows with pending local writes show the last write's row (or are gone, for a delete).
    readAll: (collection) => writes.overlay(collection, collectionOf(collection).data.map((doc) => doc.r)),
    writes,
    subscription: (key) => copySubscription(subscriptions.by('key', key)),
    subscriptions: () => subscriptions.data.map((doc) => copySubscription(doc) as StoredSubscription),

    setAside,
    get role() {
      return following ? 'follower' : 'leader'
    },

    applyPage({ subscription, changes, checkpoint }) {
      const collection = collectionOf(subscription.collection)
      const { primaryKey } = options.collections[subscription.collection] as { primaryKey: string }
      const stored = storedOrNew(subscription)
      const holder = stored.id
      if (stored.checkpoint === null) stored.sweepDue = true
      const applied: AppliedPage = { upserted: [], removed: [] }
      for (const change of lastChangePerKey(changes)) {
        const k = String(change.key)
        const held = collection.by('k', k)
        if (change.deleted) {
          if (held) vouching.passTombstone(collection, held, change.version, stored, applied, primaryKey)
          // A push answer still to come must not bring back an older version.
          else if (writes.isPending(subscription.collection, change.key)) tombstonesOf(subscription.collection).record(k, change.version)
        } else {
          const shown = holdRow(collection, k, held, change, holder, tombstonesOf(subscription.collection))
          if (shown) applied.upserted.push(shown)
        }
      }
      stored.checkpoint = checkpoint
      stored.received += changes.length
      subscriptions.update(stored)
      queue.changed()
      return applied
    },

    activate: vouching.activate,
    deactivate: vouching.deactivate,

    markSynced: (key, at) => stamp(key, 'lastSyncedAt', at),

    caughtUp(subscription) {
      const applied: AppliedPage = { upserted: [], removed: [] }
      const found = subscriptions.by('key', subscription.key)
      // Not stored yet: its stream from the beginning brought nothing at all. Stored now (its
      // sweep due), so that the next catch-up knows the sweep is done.
      const stored = found ?? Object.assign(storedOrNew(subscription), { sweepDue: true })
      vouching.caughtUp(stored, applied)
      if (!found || applied.removed.length > 0) queue.changed()
      return applied
    },

    digest(key, { upTo } = {}) {
      const stored = subscriptions.by('key', key)
      if (!stored) return undefined
      const acc = digestAccumulator()
      const answers = vouching.answering(stored)
      for (const doc of collectionOf(stored.collection).data) {
        if ((upTo === undefined || compareVersions(doc.v, upTo) <= 0) && answers(doc)) acc.add(doc.k, doc.v)
      }
      return acc.result()
    },

    markDigested: (key, at) => stamp(key, 'digestedAt', at),

    evictScope: eviction.evictScope,
    evictAfterWrites: eviction.afterWrites,
    rowCount: (collection) => collectionOf(collection).count(),

    beginRepair: (key, { reached } = {}) =>
      createRepairSession({
        key,
        reached,
        subscriptions,
        collectionOf,
        tombstonesOf,
        collections: options.collections,
        answersFor: vouching.answering,
        release: vouching.release,
        changed: () => queue.changed(),
      }),

    flush: () => queue.flush(),
    async close() {
      if (closed) return
      closed = true
      stopWatchingPage()
      queue.stop()
      try {
        await queue.flush()
      } finally {
        await new Promise<void>((resolve) => db.close(() => resolve()))
        await connection.close()
      }
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

function copySubscription(doc: StoredSubscription | null | undefined): StoredSubscription | undefined {
  if (!doc) return undefined
  const { key, id, collection, filter, checkpoint, received, lastSyncedAt, digestedAt } = doc
  const copy: StoredSubscription = { key, id, collection, filter, checkpoint, received }
  if (lastSyncedAt !== undefined) copy.lastSyncedAt = lastSyncedAt
  if (digestedAt !== undefined) copy.digestedAt = digestedAt
  return copy
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message
  // IndexedDB reports failures as events carrying the request's or transaction's error.
  const target = (error as { target?: { error?: { message?: string } } } | null)?.target
  return target?.error?.message ?? String(error)
}
