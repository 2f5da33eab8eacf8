import type { Filter, Json, JsonPrimitive, Key, Version } from './protocol'

/** A row as the client holds it: the server's fields, plain JSON. */
export type Row = Record<string, Json>

/**
 * One change in a page: a row's new state, or a tombstone (`deleted`) saying the row was deleted
 * or left the subscription's filter.
 */
export type Change =
  | { key: Key; version: Version; deleted: false; row: Row }
  | { key: Key; version: Version; deleted: true }

/** Where a subscription's stream stands; opaque to the client, stored next to the data. */
export type Checkpoint = Json

/** What a pull asks for. */
export interface PullRequest {
  collection: string
  filter: Filter
  /** The checkpoint of the last applied page, or null to start from the beginning. */
  checkpoint: Checkpoint | null
  /** Page size the client would like; servers may send fewer. */
  limit: number
  /** Name of the primary-key field in this collection's rows. */
  primaryKey: string
  /** Aborts the request when the subscription stops. */
  signal: AbortSignal
}

/** One page: changes in the server's order and the checkpoint after them. */
export interface PullResult {
  changes: Change[]
  checkpoint: Checkpoint | null
  /** True while more changes are available right now. */
  hasMore: boolean
  /** Changes left after this page, when the server says. */
  remaining?: number
  /**
   * With `hasMore: false`: the server holds committed changes of this scope back (docs/protocol.md).
   * Until a page says otherwise, nothing proves that a row the stream did not bring is gone, so no
   * digest is compared and no repair sweeps.
   */
  heldBack?: boolean
}

/** What a digest check asks for: the digest of a subscription's rows up to its checkpoint. */
export interface DigestRequest {
  collection: string
  filter: Filter
  /** The subscription's stored checkpoint (never null: without one there is nothing to compare). */
  checkpoint: Checkpoint
  signal: AbortSignal
}

/**
 * Count and order-independent hash (docs/protocol.md, "Digest") of the live rows matching the
 * subscription whose position is at or before the checkpoint.
 */
export interface DigestResult {
  count: number
  hash: number
  /**
   * The version of the checkpoint's position, when the server says. It lets a repair tell a row
   * the server has lost history of (restored from a backup) from one written since.
   */
  version?: number
}

/** What a live channel is opened with (see {@link Transport.live}). */
export interface LiveRequest {
  /** The collections whose changes the client wants to hear of. */
  collections: readonly string[]
  /** Closes the channel. */
  signal: AbortSignal
  /** The server accepted the channel: changes from now on will be poked. */
  onOpen(): void
  /** These collections changed on the server: pull the subscriptions it concerns. */
  onPoke(poke: LivePoke): void
}

/**
 * What changed: collections, and for some of them the filterable values of the changed rows
 * (`where.note.project_id = [7]`: only subscriptions whose filter allows project 7 need to pull).
 * A collection without `where` may have changed anywhere.
 */
export interface LivePoke {
  collections: readonly string[]
  where?: Readonly<Record<string, Readonly<Record<string, readonly JsonPrimitive[]>>>>
}

/**
 * How the replicator talks to a server, in the shape of RxDB's pull handler:
 * `(checkpoint, batchSize) -> { documents, checkpoint }`. A transport validates what it receives
 * and throws a `ReplicaError` (code `malformed_page`) rather than return a page it cannot vouch for.
 *
 * @example
 * const transport: Transport = {
 *   async pull({ collection, checkpoint, limit }) {
 *     const { changes, next, more } = await myApi.changes(collection, checkpoint, limit)
 *     return { changes, checkpoint: next, hasMore: more }
 *   },
 * }
 */
export interface Transport {
  pull(request: PullRequest): Promise<PullResult>
  /**
   * Optional: the server's digest of a subscription up to a checkpoint, for the periodic check
   * that finds and repairs divergence the stream cannot see. Without it the check is skipped.
   */
  digest?(request: DigestRequest): Promise<DigestResult>
  /**
   * Optional: hold a channel on which the server pokes changed collections, so that a change
   * reaches the client at once instead of at its next poll (docs/live-sync.md, "Live channel").
   * Resolves when the server ends the channel, rejects when it fails; the engine reconnects with
   * backoff and polls meanwhile. Without it the client only polls.
   */
  live?(request: LiveRequest): Promise<void>
}
