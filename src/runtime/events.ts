import type { SerializedError } from '@reduxjs/toolkit'

/**
 * What made a subscription pull. `digest`: a digest check found a difference and catches up again;
 * `repair`: a repair pulls the subscription's whole scope again (docs/live-sync.md, "Digest check");
 * `poke`: the live channel said its collection changed; `live`: the channel (re)opened;
 * `heldBack`: the last pull said the server holds committed changes back, and the channel is up.
 */
export type PullTrigger = 'subscribe' | 'poll' | 'focus' | 'reconnect' | 'digest' | 'repair' | 'poke' | 'live' | 'heldBack'

/**
 * What the sync engine tells `onEvent`, for logging and devtools. Every event is plain data; `key`
 * is the subscription's identity (`scopeKey`). Redux state carries the durable part (status,
 * counts, errors); events carry the moment-to-moment detail that state should not.
 */
export type ReplicaEvent =
  /** A pull (one or more pages until caught up) begins. */
  | { type: 'pullStarted'; key: string; trigger: PullTrigger }
  /** A page request is sent; `attempt` counts retries of this request, from 0. */
  | { type: 'requestSent'; key: string; attempt: number }
  /** A page is in the local store and in Redux. */
  | { type: 'pageApplied'; key: string; received: number; upserted: number; removed: number; hasMore: boolean; remaining?: number }
  /** The pull reached the end of the server's data. */
  | { type: 'synced'; key: string; at: string }
  /**
   * A request failed and will be tried again after `delay` ms. `ceiling` is the backoff's upper
   * bound for this attempt; `retryAfter` is true when the server's `Retry-After` set the delay.
   */
  | { type: 'retryScheduled'; key: string; attempt: number; delay: number; ceiling: number; retryAfter: boolean; error: SerializedError }
  /** A subscription waits for the network (its status is `offline`). */
  | { type: 'offline'; key: string; error?: SerializedError }
  /** The online manager's view changed (from a platform event or from a request's outcome). */
  | { type: 'connectivity'; online: boolean }
  /** While offline, one waiting subscription is let through to test the network. */
  | { type: 'probe'; key: string }
  /** A 401 came back; `refreshing` says whether `onUnauthorized` is asked and the request retried once. */
  | { type: 'unauthorized'; key: string; refreshing: boolean }
  /**
   * The subscription's status is `error`. `stopped: true` (a 4xx, a second 401, a storage failure):
   * it stays so until subscribed again. `stopped: false` (retries exhausted): the next poll, focus
   * or reconnect tries again.
   */
  | { type: 'failed'; key: string; error: SerializedError; stopped: boolean }
  /** The subscription's loop ended (unsubscribed or closed); nothing more comes from it. */
  | { type: 'stopped'; key: string }
  /**
   * A digest check compared the server's digest up to the stored checkpoint (`remote`) with the
   * rows held (`local`). `round` counts checks in a row, each after a catch-up that brought changes.
   */
  | { type: 'digestChecked'; key: string; match: boolean; round: number; local: { count: number; hash: number }; remote: { count: number; hash: number } }
  /**
   * A repair ended: rows it put in (or replaced) and rows that left the subscription's view. Any
   * repair means the replica had diverged from the server: an app may alert on it (the count is in
   * state too: `selectSubscription(...).repairs`).
   */
  | { type: 'digestRepaired'; key: string; upserted: number; removed: number }
  /**
   * A digest check, or a repair's sweep, waits for the next catch-up: the server holds committed
   * changes of this scope back (`held_back`: a PostgreSQL transaction still open), so neither side
   * of a comparison would describe the same moment.
   */
  | { type: 'digestDeferred'; key: string; reason: 'held_back' }
  /**
   * The live channel (docs/live-sync.md) opened (every subscription then pulls once: `live`),
   * was closed by the server, or failed (it is reopened after a backoff; polling goes on meanwhile).
   */
  | { type: 'channel'; state: 'open' | 'closed' | 'failed'; collections: string[]; error?: SerializedError }
  /** The server poked these collections: their subscriptions pull (at most one pull in flight and one queued each). */
  | { type: 'poke'; collections: string[] }
  /**
   * A scope nobody used left the local database and Redux (docs/eviction.md): `removed` rows went,
   * `kept` rows it held stay for another subscription or for pending writes.
   */
  | { type: 'evicted'; key: string; removed: number; kept: number; reason: 'unused' | 'maxRows' | 'writesSettled' }
  /** A digest request failed; the subscription is unaffected and the check waits for the next interval. */
  | { type: 'digestFailed'; key: string; error: SerializedError }

/** Calls the user's hook, never letting its exceptions into the sync loop. */
export function safeEmitter(onEvent: ((event: ReplicaEvent) => void) | undefined): (event: ReplicaEvent) => void {
  if (!onEvent) return () => {}
  return (event) => {
    try {
      onEvent(event)
    } catch (error) {
      // A logging hook must not stop replication; report it where a developer will look.
      console.error('redux-replica: onEvent threw', error)
    }
  }
}
