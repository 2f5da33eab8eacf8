import type { Filter, Key, Version } from '../core/protocol'
import type { Change, Checkpoint, Row } from '../core/pullWire'
import type { Digest } from '../core/digestHash'
import type { ReplicaError } from '../core/errors'
import type { SetAsideReport } from './openDatabase'
import type { Persistence } from './persistence'
import type { StorageRole } from './webLock'
import type { LocalWriteOutcome, OutboxStore } from './outboxStore'

// The local store's contract (./localStore.ts implements it), apart from its implementation so
// that the modules it is built from (vouching, repair sessions) can name its types.

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

/** What evicting one scope took out of the local database (docs/eviction.md). */
export interface ScopeEviction {
  /** The scope's identity (`scopeKey`). */
  key: string
  collection: string
  /** Primary keys of the rows removed. */
  removed: Key[]
  /** Rows the scope held that stay: another stored subscription holds them or shows them, or they have pending writes. */
  kept: number
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
  /**
   * Evicts a scope nobody uses (docs/eviction.md), in one synchronous step: its stored
   * subscription and cursor go, and so do the rows it holds, except rows another stored
   * subscription holds or whose filter matches them, and rows with pending writes (those go once
   * their writes are answered: see `evictAfterWrites`). Costs O(rows the scope holds), not
   * O(rows stored). Undefined, and nothing changes, if the scope is not stored or its stream runs.
   */
  evictScope(key: string): ScopeEviction | undefined
  /**
   * Rows evicted scopes left behind only for their pending writes, now that those are answered,
   * go unless another subscription has taken them up. O(such rows).
   */
  evictAfterWrites(): ScopeEviction[]
  /** Rows stored in a collection (O(1)). */
  rowCount(collection: string): number
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

