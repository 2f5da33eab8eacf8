import type { SerializedError } from '@reduxjs/toolkit'
import type { Key } from './protocol'
import type { Row } from './pullWire'
import type { MutationOp } from './pushWire'

/**
 * One local write waiting to reach the server, as the outbox (`_replica_outbox`, saved with the
 * data) keeps it. Writes of one key stay in order; only the first of a key is ever in flight.
 */
export interface OutboxEntry {
  /** The mutation id sent to the server: the idempotency key. A resend carries the same one. */
  id: string
  /** Position in the outbox: increasing, never reused. */
  seq: number
  collection: string
  key: Key
  op: MutationOp
  /** `upsert`: the whole row as written (what Redux shows while the write is pending). */
  row?: Row
  /**
   * The server version the write is based on (null: the client knows of no row). A later write of
   * a key gets the version its predecessor produced when the server answers for it.
   */
  baseVersion: number | null
  /**
   * The row the write was made on, as the client held it when the write was queued (the stored
   * server row, or what the key's previous pending write showed); null for a create. It follows
   * `baseVersion`: when the server answers for the previous write, or a conflict is resolved by
   * sending again, it becomes the server's row of that version. `onConflict` gets it as `base`.
   * Absent from entries an older version of the library queued (read as null).
   */
  base?: Row | null
}

/** What `save` carries: a whole row (insert or replace), or a patch of the row held. */
export type SavePayload =
  | { collection: string; row: Record<string, unknown> }
  | { collection: string; key: Key; patch: Record<string, unknown> }

/** What `remove` carries. */
export interface RemovePayload {
  collection: string
  key: Key
}

/** Rows and keys a write (or a push answer) changed in one collection, for its reducer. */
export interface CollectionChange {
  collection: string
  upserted: Row[]
  removed: Key[]
}

/** How many writes of one key are pending now (0: none). */
export interface PendingCount {
  collection: string
  key: Key
  count: number
}

/** A write the server refused (or that could not be queued): rolled back, kept in state to show. */
export interface RejectedWrite {
  /** The mutation id. */
  id: string
  collection: string
  key?: Key
  op: MutationOp
  /** The row the write tried to store (upserts). */
  row?: Row
  error: SerializedError
  /** ISO time. */
  at: string
  /**
   * Ids (`meta.writeId`) of other local writes that travelled in this mutation (a write folded into
   * one not yet sent), so `useWriteStatus` finds each of them refused too.
   */
  writeIds?: string[]
}

/** A conflict the replica resolved. */
export interface ResolvedConflict {
  id: string
  collection: string
  key: Key
  /** `server`: the local write was dropped; `client`/`merged`: sent again, based on the server's version. */
  resolution: 'server' | 'client' | 'merged'
  /** `client`/`merged`: the id of the mutation that sends it again. */
  resentAs?: string
}

/**
 * What `onConflict` is told: the row the local write was made on, the row it wanted, the server's
 * row as it stands, and the mutation. `base`, `local` and `server` are the three sides of a
 * three-way merge (see `mergeFields`).
 */
export interface ConflictInfo<T = Row> {
  /** The collection written to. */
  collection: string
  /**
   * The row the local write was made on, as held when it was queued (null: a create, or the
   * client held no row). What the user saw before editing.
   */
  base: T | null
  /** The row the local write wanted (null for a delete). */
  local: T | null
  /** The server's row now (null if it was deleted or never existed). */
  server: T | null
  mutation: OutboxEntry
}

/** What `onConflict` decides: keep the server's row, send the local one again, or send a merged row. */
export type ConflictDecision<T = Row> = 'server' | 'client' | T

/**
 * `onConflict`'s argument for a replica's collections: one `ConflictInfo` per collection, told
 * apart by `collection`, so that `base`, `local` and `server` have the collection's row type.
 *
 * @example
 * onConflict: (conflict) => (conflict.collection === 'note' ? mergeFields<Note>()(conflict) : 'server')
 */
export type ConflictOf<Rows> = { [K in keyof Rows & string]: ConflictInfo<Rows[K]> & { collection: K } }[keyof Rows & string]

/** The push's health, in state. */
export type PushStatus = 'idle' | 'pushing' | 'offline' | 'error'
