/**
 * Wire types of the push endpoint (docs/protocol.md, "Push"), shared by the client's push
 * transport and the reference server. Kept apart from `src/core/protocol.ts` so the pull protocol's
 * types stay as they are.
 */
import type { JsonPrimitive, Key } from './protocol'

/** What a mutation does: write the whole row (insert or update), or delete it. */
export type MutationOp = 'upsert' | 'delete'

/** One write as the client pushes it. */
export interface WireMutation {
  /** Unique per write, made by the client (a UUID): the idempotency key. A resend carries the same id. */
  id: string
  collection: string
  op: MutationOp
  /** The row's primary-key value. */
  key: Key
  /** `upsert`: the row's fields, primary key included, without `_version`/`_deleted`. */
  row?: Record<string, JsonPrimitive>
  /** The server version the write was based on; null for a row the client believes does not exist. */
  baseVersion: number | null
}

/** Body of `POST <base>/push`. */
export interface PushRequestBody {
  mutations: WireMutation[]
}

/** Why one mutation was refused. */
export type PushErrorCode =
  | 'bad_mutation'
  | 'bad_row'
  | 'unknown_collection'
  | 'forbidden'
  | 'constraint'
  | 'id_reused'
  | (string & {})

/** A row as the pull sends it (with `_version`). */
export type WireRowValue = Record<string, JsonPrimitive>

/**
 * The answer for one mutation:
 * - `applied`: written; `row` is the row as it now stands (null after a delete), `version` its version
 *   (the tombstone's after a delete; null when there was nothing to delete);
 * - `conflict`: not written, the row changed since `baseVersion`; `row` is the server's row (null if
 *   deleted or absent) and `version` its version (null if absent), to rebase on;
 * - `rejected`: not written, and resending it will not help.
 */
export type MutationResult =
  | { id: string; status: 'applied'; row: WireRowValue | null; version: number | null }
  | { id: string; status: 'conflict'; row: WireRowValue | null; version: number | null }
  | { id: string; status: 'rejected'; error: { code: PushErrorCode; message: string } }

/** Body of a `200` answer to a push: one result per mutation, in the same order. */
export interface PushResponseBody {
  results: MutationResult[]
}
