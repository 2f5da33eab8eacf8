import type { Filter, JsonPrimitive } from '../core/protocol.js'
import type { MutationResult } from '../core/pushWire.js'
import type { MutationPlan } from './push-plan.js'

/**
 * How one collection maps to a table. Identifiers here come from your code, never from a request;
 * they are still quoted everywhere they appear in SQL.
 *
 * @example
 * const collections = {
 *   note: { table: 'notes', filterable: ['project_id', 'contact_id'] },
 *   project: { table: 'projects', filterable: ['id'], scopeFields: [] },
 * }
 */
export interface CollectionConfig {
  /**
   * Table name (optionally `schema.table` is NOT parsed: use the source's `schema` option instead).
   * @default the collection name
   * @example { table: 'notes' }
   */
  table?: string
  /**
   * Primary-key column; the cursor's tie-breaker.
   * @default 'id'
   * @example { primaryKey: 'uuid' }
   */
  primaryKey?: string
  /**
   * Fields a client may filter on (equality, or IN for an array value). Anything else answers
   * `403 filter_not_allowed`. Each gets an index `(field, _version, id)` and is tracked for move-outs.
   * @default [] (clients cannot filter; `authorize` can still scope through `scopeFields`)
   * @example { filterable: ['project_id'] }
   */
  filterable?: readonly string[]
  /**
   * Extra fields that `authorize` may constrain but clients may not filter on. Tracked for
   * move-outs like filterable fields (a row that leaves the caller's scope is sent as a tombstone).
   * @default []
   * @example { filterable: ['project_id'], scopeFields: ['org_id'] }
   */
  scopeFields?: readonly string[]
  /**
   * Columns sent to clients (the primary key and `_version` are always sent).
   * @default every column of the table except `_version` and `_deleted`
   * @example { columns: ['id', 'project_id', 'body', 'updated_at'] }
   */
  columns?: readonly string[]
  /**
   * The `updated_at` column used by the 2015 endpoints (fixed-format ISO strings with 6 fractional
   * digits, e.g. `2015-03-19T20:14:25.123456Z`, so that text order is time order). `false` turns
   * the 2015 endpoints off for this collection and skips their indexes.
   * @default 'updated_at' when the table has that column, else false
   * @example { updatedAt: 'modified_at' }
   */
  updatedAt?: string | false
  /**
   * Columns clients may write through the push endpoint (docs/writes.md). Writes are off unless
   * this lists columns: without it (or with `false`) the collection is read-only and pushes are
   * `rejected` with `forbidden`. Only columns clients can read (`columns`) may be listed; the
   * primary key is implied; `_version`, `_deleted` and the `updatedAt` column (stamped by the
   * server) may not. A pushed row may carry other readable columns (a pulled row sent back): they
   * are ignored and the stored values kept. A field clients cannot read rejects the mutation.
   * A scope column (`filterable`/`scopeFields`) listed here can only be set to values the
   * caller's `authorize` scope allows.
   * @default false
   * @example { filterable: ['project_id'], writable: ['body', 'contact_id', 'project_id'] }
   */
  writable?: false | readonly string[]
}

export type CollectionsConfig = Readonly<Record<string, CollectionConfig>>

/** A collection after the source has looked at its table. */
export interface TableInfo {
  collection: string
  table: string
  primaryKey: string
  /** Client-filterable fields. */
  filterable: ReadonlySet<string>
  /** filterable ∪ scopeFields: the fields the move log records. */
  tracked: readonly string[]
  /** Columns sent on the wire (without `_version`). */
  columns: readonly string[]
  /** Every column of the table (for the write helper's checks). */
  allColumns: ReadonlySet<string>
  /** Columns a push may set (the primary key included when any is); empty for a read-only collection. */
  writable: ReadonlySet<string>
  updatedAt: string | null
  /** Declared column types (`format_type` in PostgreSQL, the declared type in SQLite). */
  types: ReadonlyMap<string, string>
  /** What filter values each column takes, derived from its type, so a mismatch is a 400, not a cast error. */
  kinds: ReadonlyMap<string, ColumnKind>
  /** The range of each integer column, so a value that does not fit is refused before any SQL. */
  ranges: ReadonlyMap<string, IntegerRange>
}

/** The JSON values a column accepts in a filter. */
export type ColumnKind = 'integer' | 'number' | 'text' | 'boolean' | 'any'

/** The inclusive range of an integer column (int2/int4/int8 in PostgreSQL; SQLite's int64). */
export interface IntegerRange {
  min: bigint
  max: bigint
}

/** A value a clause compares with: JSON, or a 64-bit integer from `authorize` (exact, never a lossy number). */
export type ScopeValue = JsonPrimitive | bigint

/** One condition of a WHERE clause: equality (one value) or IN (several). Values are bound, never inlined. */
export interface Clause {
  field: string
  /** `null` inside means IS NULL. An empty list matches nothing. */
  values: readonly ScopeValue[]
}

/** The position after a row in `(_version, id)` order. */
export interface VersionCursor {
  v: number
  id: string | number
}

export interface PullPlan {
  table: TableInfo
  clauses: readonly Clause[]
  after: VersionCursor | null
  /** Rows wanted; the source returns up to limit + 1 so the caller can tell `hasMore`. */
  limit: number
}

/** Rows rendered as JSON text by the database, with their sort key. */
export interface PulledRow {
  json: string
  v: number
  id: string | number
}

/** What a digest covers: live rows matching `clauses` at or before `upTo` in `(_version, id)` order. */
export interface DigestPlan {
  table: TableInfo
  clauses: readonly Clause[]
  upTo: VersionCursor
}

export interface SeedPlan {
  table: TableInfo
  clauses: readonly Clause[]
  /** `[updated_at, id]` to continue after, or null for the first page. */
  after: readonly [string, string | number] | null
  limit: number
  /** Also count every row after `after` (the example-repository variant), up to `countCap`. */
  count: boolean
  countCap: number
}

/** What one costly read (a digest, a count) may spend. */
export interface ScanBudget {
  /** Most rows it may read; past them a digest is refused, a count stops there. */
  maxRows: number
  /** Milliseconds it may run; past them it is abandoned (503 busy). */
  timeoutMs: number
}

export type WriteOp =
  | { kind: 'insert'; row: Record<string, JsonPrimitive> }
  | { kind: 'update'; id: string | number; patch: Record<string, JsonPrimitive> }
  | { kind: 'remove'; id: string | number; stamp?: Record<string, JsonPrimitive> }

/**
 * A SQL database the handler reads from. Made by {@link sqliteSource} or {@link postgresSource};
 * the methods are the handler's, application code only calls `close()` (and uses the write helper).
 */
export interface ReplicaSource {
  readonly dialect: 'sqlite' | 'postgres'
  /** Look at the tables and install columns, indexes, the move log and triggers (idempotent). */
  prepare(collections: CollectionsConfig): Promise<Map<string, TableInfo>>
  pull(plan: PullPlan): Promise<PulledRow[]>
  /** Rows and tombstones after `plan.after`, as many as `pull` would page through, counted up to `budget.maxRows`. */
  countAfter(plan: PullPlan, budget: ScanBudget): Promise<number>
  /**
   * Whether committed changes of the scope after `plan.after` are held back from the pull (a
   * PostgreSQL transaction still open keeps the horizon below them). Asked when a pull reaches the end.
   */
  heldBack(plan: PullPlan): Promise<boolean>
  /**
   * Count and order-independent hash of the live rows a digest covers, and the version up to which
   * they are all the scope has (docs/protocol.md, "Digest"), read in one snapshot.
   * Over `budget.maxRows` rows: `413 too_large`; over `budget.timeoutMs`: `503 busy`.
   */
  digest(plan: DigestPlan, budget: ScanBudget): Promise<{ count: number; hash: number; version: number }>
  seedPage(plan: SeedPlan, budget: ScanBudget): Promise<{ json: string[]; last: [string, string | number] | null; count: number | null }>
  /** Run one write; `via` is an optional connection/transaction of the driver (pg `PoolClient`). */
  write(table: TableInfo, op: WriteOp, via?: unknown): Promise<Record<string, unknown> | null>
  /**
   * Apply one pushed mutation in one transaction together with its idempotency record
   * (`_replica_mutations`): a mutation id is applied at most once, and a resend gets the stored answer.
   */
  applyMutation(table: TableInfo, plan: MutationPlan): Promise<MutationResult>
  /**
   * Optional: report writes as they commit, so the live channel (docs/live-sync.md) can poke its
   * clients. PostgreSQL hears every process and plain SQL (LISTEN/NOTIFY from the version
   * triggers); SQLite hears this process's writes at once and any other write within a moment.
   * `onError` hears trouble the watch recovers from by itself (a lost connection). Returns the
   * function that stops watching.
   */
  watch?(onChange: (tables: TableChanges) => void, onError: (error: unknown) => void): () => Promise<void>
  /** Delete up to `limit` mutation-id records older than `before`; returns how many went. */
  pruneMutations(before: Date, limit: number): Promise<number>
  close(): Promise<void>
}

/** One write a source heard of. */
export interface TableChange {
  /** The table's name in the database. */
  table: string
  /**
   * The tracked (filterable and scope) fields of the row before and/or after the write, when the
   * source knows them (PostgreSQL's trigger sends them); absent: any row may have changed.
   */
  images?: ReadonlyArray<Readonly<Record<string, JsonPrimitive>>>
}

/** Writes heard, or `'all'` when the source cannot tell which (a listener that reconnected, another process's SQLite write). */
export type TableChanges = readonly TableChange[] | 'all'

/** What `authorize` hands back: the caller's scope, ANDed into every query, e.g. `{ project_id: [1, 2] }`. */
export type Scope = Filter
