/**
 * Wire types shared by the client transports and the reference server.
 * The protocol itself is written down in docs/protocol.md; keep the two in step.
 */

export type JsonPrimitive = string | number | boolean | null
export type Json = JsonPrimitive | Json[] | { [key: string]: Json }

/** A primary-key value. `1` and `'1'` name the same row (keys are compared as strings). */
export type Key = string | number

/** A row version: a server-assigned monotonic number (our protocol) or a timestamp string (2015). */
export type Version = number | string

/** A filter value: a scalar means equality, an array means IN. */
export type FilterValue = JsonPrimitive | JsonPrimitive[]

/** A subscription filter, e.g. `{ project_id: 7 }` or `{ project_id: [1, 2] }`. Fields are ANDed. */
export type Filter = Record<string, FilterValue>

/** Reserved row fields of our protocol. */
export const VERSION_FIELD = '_version'
export const DELETED_FIELD = '_deleted'

/**
 * A row as our protocol sends it: the record's own fields plus `_version`.
 * A tombstone (the row was deleted, or left the subscription's filter) carries
 * only the primary key, `_version` and `_deleted: true`.
 */
export type WireRow = { [field: string]: Json } & { _version: number; _deleted?: true }

/** Query parameters of `GET <base>/pull`. */
export interface PullQuery {
  collection: string
  /** JSON of a {@link Filter}; `{}` when absent. */
  filter?: string
  /** Opaque cursor issued by the server; absent to start from the beginning. */
  cursor?: string
  /** Page size; the server caps it. */
  limit?: string
}

/** Body of a successful `GET <base>/pull`. */
export interface PullResponseBody {
  rows: WireRow[]
  /** Cursor to send with the next request; null only when `rows` is empty and no cursor was sent. */
  cursor: string | null
  /** True when more rows are available right now after `cursor`. */
  hasMore: boolean
  /** How many rows remain after this page, when the server knows. */
  remaining?: number
  /**
   * With `hasMore: false`: true when the server has committed changes of this scope after `cursor`
   * that it does not serve yet (PostgreSQL: a transaction still open holds its version horizon
   * back). Absent or false: the stream is complete up to now.
   */
  heldBack?: boolean
}

/** Machine-readable error codes of 4xx/5xx answers. */
export type ErrorCode =
  | 'bad_request'
  | 'unknown_collection'
  | 'filter_not_allowed'
  | 'bad_filter'
  | 'bad_cursor'
  | 'bad_limit'
  | 'too_large'
  | 'unsupported_media_type'
  | 'busy'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'internal'

/** Body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string }
}

/**
 * The 2015 endpoint's `scope` query parameter (JSON). The blog variant names the
 * collection `collection`, the example repository's variant `collectionName`.
 * Cursor values are echoed exactly as the server sent them.
 */
export interface SeedScope {
  collection?: string
  collectionName?: string
  filter?: Filter
  lastIdCursor?: Key | null
  lastUpdatedCursor?: string | null
}

/** Answer of `/replicated_db/download_updates` (the example repository's variant). */
export interface SeedCountedPage<Row = Record<string, Json>> {
  availableUpdatesCount: number
  data: Row[]
}
