import type { Clause, ScopeValue } from './types.js'

/**
 * SQL text helpers shared by both sources. Identifiers only ever come from the server's own
 * configuration (allow-lists, table introspection); they are still quoted. Values are always bound.
 */

/** Quote an identifier for SQLite and PostgreSQL alike (both use SQL-standard double quotes). */
export function q(identifier: string): string {
  if (identifier.length === 0 || identifier.includes('\0')) throw new Error(`invalid identifier ${JSON.stringify(identifier)}`)
  return `"${identifier.replaceAll('"', '""')}"`
}

/** Quote a string literal (used only for JSON keys that are configured column names). */
export function lit(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/** Reserved columns the server adds to every replicated table. */
export const VERSION_COL = '_version'
export const DELETED_COL = '_deleted'
export const LOG_SUFFIX = '__replica_log'
export const oldCol = (field: string) => `o_${field}`
export const newCol = (field: string) => `n_${field}`

/** What differs between the two SQL dialects we speak. */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres'
  /** Placeholder for the n-th (1-based) parameter. */
  ph(n: number): string
  /** Convert a value to what the driver binds (SQLite has no booleans; pg gets a BigInt's digits). */
  bind(value: ScopeValue): unknown
  /** A table name, schema-qualified where the source has a schema. */
  table(name: string): string
  /** SQL that is true for a soft-deleted row. */
  isDeleted(column: string): string
  /** A JSON object as text, built by the database from `[key, sqlExpression]` pairs. */
  jsonObject(pairs: ReadonlyArray<readonly [string, string]>): string
  /** The JSON literal `true` as an expression usable inside {@link jsonObject}. */
  readonly jsonTrue: string
  /** A WITH clause (including the keyword) that every read statement starts with, or ''. */
  readonly readPrefix: string
  /** Extra condition on `_version` for rows that may be served now, or null (SQLite: all committed rows). */
  servable(versionColumn: string): string | null
  /**
   * An expression for the highest version at or below which every version is final: no write
   * still open or yet to come takes one. Usable after {@link readPrefix}.
   */
  readonly horizon: string
}

/** Collects bound parameters and hands out placeholders in order. */
export class Params {
  readonly values: unknown[] = []
  constructor(private readonly dialect: Dialect) {}
  add(value: ScopeValue): string {
    this.values.push(this.dialect.bind(value))
    return this.dialect.ph(this.values.length)
  }
}

/** One clause as SQL: `col = ?`, `col IN (?, ?)`, `col IS NULL`, or a false constant for an empty IN. */
export function clauseSql(clause: Clause, column: string, params: Params): string {
  const present = clause.values.filter((v) => v !== null)
  const parts: string[] = []
  if (present.length === 1) parts.push(`${column} = ${params.add(present[0]!)}`)
  else if (present.length > 1) parts.push(`${column} IN (${present.map((v) => params.add(v)).join(', ')})`)
  if (present.length !== clause.values.length) parts.push(`${column} IS NULL`)
  if (parts.length === 0) return '1 = 0'
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`
}

/** All clauses ANDed, each field mapped to a column through `column`; 'TRUE'-equivalent when empty. */
export function clausesSql(clauses: readonly Clause[], column: (field: string) => string, params: Params): string | null {
  if (clauses.length === 0) return null
  return clauses.map((c) => clauseSql(c, column(c.field), params)).join(' AND ')
}
