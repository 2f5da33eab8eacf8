import type Loki from 'lokijs'
import { ReplicaError } from '../core/errors'
import type { Filter, Key, Version } from '../core/protocol'
import type { Change, Checkpoint, Row } from '../core/pullWire'
import { openDatabase } from './openDatabase'
import type { SetAsideReport } from './openDatabase'
import { onPageHidden } from './pageLifecycle'
import type { Loaded, Persistence, SetAsideReason } from './persistence'
import { FORMAT_VERSION, META } from './format'
import type { StorageRole } from './webLock'
import { createSaveQueue } from './saveQueue'
import { compareVersions } from '../core/versions'
import { createRepairSession } from './repairSession'
import { holdRow, lastChangePerKey } from './rows'
import { TOMBSTONES, tombstoneMemory } from './tombstones'
import { createVouching } from './vouching'
import type { TombstoneDoc, TombstoneMemory } from './tombstones'
import type { Collection, StoredRow } from './rows'
import { matchesFilter } from '../core/scope'
import { newId } from '../core/ids'
import { createOutboxStore, OUTBOX } from './outboxStore'
import type { LocalWriteOutcome, OutboxStore } from './outboxStore'
import type { OutboxEntry } from '../core/writeTypes'
import { digestAccumulator } from '../core/digestHash'
import type { Digest } from '../core/digestHash'

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
  /** ISO time its pull last reached the end of the server's data. */
  lastSyncedAt?: string
  /** ISO time of its last digest check that found nothing to do or ended in a repair. */
  digestedAt?: string
  /** Its stream started from the beginning and has not yet caught up completely (see `caughtUp`). */
  sweepDue?: boolean
}

/**
 * A repair of one subscription in progress (docs/protocol.md, "Digest"): its pull from the
 * beginning lands here page by page while the view stays as it is and the stored checkpoint stays
 * put; the last page ends it in one step.
 */
export interface RepairSession {
  /** Where the repair's own pull stands: null before its first page. */
  readonly checkpoint: Checkpoint | null
  /**
   * True once the repair ended with its sweep. A last page that says `heldBack` ends it without
   * one: rows it brought stay, nothing is taken away, the stored checkpoint stays.
   */
  readonly swept: boolean
  /**
   * Applies one page of the repair's pull. A row is added (or the subscription added as its
   * holder); it replaces the held row if its version is newer, or, at the end, if the held one is
   * newer yet within what the whole stream reached (only a server that went back in time, say
   * restored from a backup, can cause that). A tombstone
   * takes the row from this subscription only if the repair brought the row earlier. With
   * `hasMore: false`, in the same synchronous step, rows this subscription holds (at a version
   * the server has streamed) that the repair did not bring lose it as a holder (and go when no
   * other subscription holds them), and
   * `checkpoint` becomes the subscription's stored checkpoint.
   */
  applyPage(page: { changes: Change[]; checkpoint: Checkpoint | null; hasMore: boolean; heldBack?: boolean }): AppliedPage
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
 * Loki never hands its own objects out: each document wraps the row (`{ k, v, r, s }`) and only the
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
  /** Records that a subscription's pull reached the end of the server's data at `at` (ISO time). */
  markSynced(key: string, at: string): void
  /**
   * A subscription's stream reached the end of the server's data, and the server held nothing
   * back. If the stream started from the beginning, it has now vouched for every row in its scope:
   * rows matching its filter that it did not bring, that no running stream holds and no pending
   * write covers, go (in one step). And rows of its collection that a newer tombstone had passed
   * while another stream kept them go once no running stream holds them. Otherwise nothing
   * happens (O(1)).
   */
  caughtUp(subscription: Pick<StoredSubscription, 'key' | 'collection' | 'filter'>): AppliedPage
  /**
   * Marks a subscription's stream as running (counted: a loop winding down and its successor may
   * overlap). Rows held only by subscriptions that are not running do not outlive a tombstone:
   * see the holders note on {@link StoredRow}.
   */
  activate(key: string): void
  deactivate(key: string): void
  /**
   * The digest (docs/protocol.md, "Digest") of the rows a subscription answers for: those it holds,
   * and those matching its filter that no running stream holds and no pending write covers (it
   * shows them, and nobody else vouches for them), with the version held; given `upTo`, only rows
   * held at or below that version, as the server's digest reaches only that far (its `version`).
   * Undefined for an unknown subscription.
   */
  digest(key: string, options?: { upTo?: Version }): Digest | undefined
  /** Records a digest check that needs nothing more until the next interval (ISO time). */
  markDigested(key: string, at: string): void
  /**
   * Starts a repair of a stored subscription: see {@link RepairSession}. `reached`: a version the
   * server says its stream has passed for this subscription (the digest's `version`).
   */
  beginRepair(key: string, options?: { reached?: Version }): RepairSession
  /**
   * Local writes waiting for the server (the outbox, `_replica_outbox`, saved with the data), and
   * how they lay over the stored rows. See docs/writes.md.
   */
  readonly writes: OutboxStore
  /** Set when the stored database was unusable and moved aside; this store then started empty. */
  readonly setAside: SetAsideReport | undefined
  /**
   * `leader`: this store saves. `follower`: another tab writes the database; this one keeps its
   * changes in memory (saves and flushes do nothing) until it takes the lead. See `onLeader`.
   */
  readonly role: StorageRole
  /**
   * Saves everything applied so far; rejects with a `ReplicaError` (code `storage`) if the save fails.
   * Between flushes, changes are saved at least every `saveInterval`.
   */
  flush(): Promise<void>
  /** Saves, then releases the database. */
  close(): Promise<void>
}

export interface LocalStoreOptions {
  persistence: Persistence
  /** Collection name to the name of its primary-key field. */
  collections: Record<string, { primaryKey: string }>
  /** Longest time in ms a change waits before it is saved. Default 1000. */
  saveInterval?: number
  /** Told after every save, with the error if it failed (the changes stay pending and are retried). */
  onSaved?(error?: ReplicaError): void
  /**
   * Told when a follower has taken the lead: the writes it adopted from the old leader's last save
   * are in its outbox, and a full save of its memory is under way.
   */
  onLeader?(adopted: LocalWriteOutcome[]): void
}

/** Default of `saveInterval`: at most a second of pages is lost to a crash. */
export const DEFAULT_SAVE_INTERVAL = 1000


const SUBSCRIPTIONS = '_replica_subscriptions'

/**
 * Opens (loads) the local database. A stored database that cannot be used is moved aside and the
 * store starts empty (see `setAside`); rejects only if the storage itself cannot be used.
 */
export async function openLocalStore(options: LocalStoreOptions): Promise<LocalStore> {
  const { db, connection, handles, setAside } = await openDatabase(options.persistence, (loki) => ({
    rows: new Map(Object.keys(options.collections).map((name) => [name, openCollection<StoredRow>(loki, name, 'k')])),
    subscriptions: openCollection<StoredSubscription>(loki, SUBSCRIPTIONS, 'key'),
    outbox: openCollection<OutboxEntry>(loki, OUTBOX, 'seq'),
    tombstones: openCollection<TombstoneDoc>(loki, TOMBSTONES, 'id'),
  }))
  const { rows, subscriptions } = handles
  const tombstonesOf = (name: string): TombstoneMemory => tombstoneMemory(handles.tombstones, name)

  const collectionOf = (name: string): Collection<StoredRow> => {
    const collection = rows.get(name)
    if (!collection) throw new ReplicaError('unknown_collection', `Unknown collection "${name}"`)
    return collection
  }
  // Until the takeover below is done (the connection itself may write a little earlier).
  let following = connection.writer?.role === 'follower'
  const queue = createSaveQueue({
    interval: options.saveInterval ?? DEFAULT_SAVE_INTERVAL,
    // Loki's saveDatabase serializes (or, incrementally, snapshots) in one synchronous step, and
    // applyPage writes rows and cursor in one synchronous step: no save holds one without the other.
    // A follower does not write: its changes stay in memory until it leads (then saved in full).
    save: () =>
      following ? Promise.resolve() : new Promise<void>((resolve, reject) =>
        db.saveDatabase((error?: unknown) =>
          error ? reject(new ReplicaError('storage', `Could not save the local database "${options.persistence.name}": ${describe(error)}`, { cause: error })) : resolve(),
        ),
      ),
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
    newId,
  })

  if (following && connection.writer) {
    void connection.writer.whenLeader.then(async (stored) => {
      if (closed) return
      // The old leader's last save is about to be overwritten by this tab's memory: keep the
      // writes it queued that never reached this tab (only the outbox cannot be pulled again).
      const found = storedOutbox(stored, options.collections)
      if (found.problem) await connection.setAside(found.problem).catch(() => {})
      if (closed) return
      let adopted: LocalWriteOutcome[] = []
      try {
        adopted = writes.adopt(found.entries)
      } catch (error) {
        // This tab's own data must still reach disk.
        console.error('redux-replica: could not adopt the pending writes of the tab that saved before', error)
      }
      following = false
      // The first save rewrites every chunk (the connection saw to it): on disk, exactly this memory.
      queue.changed()
      queue.flush().catch(() => {}) // failures reach onSaved
      options.onLeader?.(adopted)
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

/**
 * The outbox of a stored database, as loaded from storage; `problem` if it cannot be used (then it
 * is set aside rather than overwritten). Entries of unknown collections or shapes are left out.
 */
function storedOutbox(stored: Loaded, collections: Record<string, unknown>): { entries: OutboxEntry[]; problem?: SetAsideReason } {
  if (stored.kind === 'none') return { entries: [] }
  if (stored.kind === 'unreadable') return { entries: [], problem: 'unreadable' }
  let db: { collections?: Array<{ name?: unknown; data?: unknown }> }
  try {
    db = (typeof stored.value === 'string' ? JSON.parse(stored.value) : stored.value) as typeof db
  } catch {
    return { entries: [], problem: 'unreadable' }
  }
  const data = (name: string) => {
    const found = Array.isArray(db?.collections) ? db.collections.find((c) => c?.name === name)?.data : undefined
    return Array.isArray(found) ? (found as Array<Record<string, unknown>>) : []
  }
  const format = data(META).find((doc) => doc?.key === 'format')?.value
  if (format === undefined) return { entries: [], problem: 'unreadable' }
  if (format !== FORMAT_VERSION) return { entries: [], problem: 'incompatible' }
  const entries: OutboxEntry[] = []
  for (const doc of data(OUTBOX)) {
    const { id, seq, collection, key, op, row, baseVersion } = doc
    if (typeof id !== 'string' || typeof seq !== 'number' || typeof collection !== 'string' || !Object.hasOwn(collections, collection)) continue
    if ((typeof key !== 'string' && typeof key !== 'number') || (baseVersion !== null && typeof baseVersion !== 'number')) continue
    if (op === 'delete') entries.push({ id, seq, collection, key, op, baseVersion })
    else if (op === 'upsert' && typeof row === 'object' && row !== null) entries.push({ id, seq, collection, key, op, row: row as Row, baseVersion })
  }
  return { entries }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message
  // IndexedDB reports failures as events carrying the request's or transaction's error.
  const target = (error as { target?: { error?: { message?: string } } } | null)?.target
  return target?.error?.message ?? String(error)
}
