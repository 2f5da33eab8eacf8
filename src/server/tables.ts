import { DELETED_COL, VERSION_COL } from './sql.js'
import type { CollectionConfig, CollectionsConfig, ColumnKind, IntegerRange, TableInfo } from './types.js'

/**
 * Check a collection's configuration against the columns its table really has, and resolve the
 * defaults. Runs once at startup; a mistake here is the developer's, so it throws a plain Error.
 */
export function resolveTable(
  collection: string,
  config: CollectionConfig,
  columns: ReadonlyArray<{ name: string; type?: string }>,
  dialect: 'sqlite' | 'postgres',
): TableInfo {
  const table = config.table ?? collection
  if (columns.length === 0) throw new Error(`redux-replica: table ${JSON.stringify(table)} of collection ${JSON.stringify(collection)} not found`)
  const all = new Set(columns.map((c) => c.name))
  const need = (field: string, what: string) => {
    if (!all.has(field)) throw new Error(`redux-replica: ${what} ${JSON.stringify(field)} is not a column of ${JSON.stringify(table)}`)
    if (field === VERSION_COL || field === DELETED_COL) throw new Error(`redux-replica: ${field} is reserved and cannot be ${what}`)
  }
  const primaryKey = config.primaryKey ?? 'id'
  need(primaryKey, 'primaryKey')
  const filterable = config.filterable ?? []
  for (const f of filterable) need(f, 'filterable field')
  for (const f of config.scopeFields ?? []) need(f, 'scope field')
  const tracked = [...new Set([...filterable, ...(config.scopeFields ?? [])])]
  let sent: string[]
  if (config.columns) {
    for (const c of config.columns) need(c, 'column')
    sent = config.columns.includes(primaryKey) ? [...config.columns] : [primaryKey, ...config.columns]
  } else {
    sent = columns.map((c) => c.name).filter((c) => c !== VERSION_COL && c !== DELETED_COL)
  }
  let updatedAt: string | null = null
  if (config.updatedAt !== false) {
    const name = config.updatedAt ?? 'updated_at'
    if (all.has(name)) updatedAt = name
    else if (config.updatedAt !== undefined) need(name, 'updatedAt')
  }
  const writable = new Set<string>()
  for (const c of config.writable || []) {
    need(c, 'writable column')
    // Writing a column one cannot read would make writes blind and reads of it impossible to check.
    if (!sent.includes(c)) throw new Error(`redux-replica: writable column ${JSON.stringify(c)} of ${JSON.stringify(collection)} is not in its columns: clients cannot read it, so they may not write it`)
    if (c === updatedAt) throw new Error(`redux-replica: ${JSON.stringify(c)} of ${JSON.stringify(collection)} is stamped by the server (updatedAt) and cannot be writable`)
    writable.add(c)
  }
  if (writable.size) writable.add(primaryKey)
  const types = new Map(columns.filter((c) => c.type).map((c) => [c.name, c.type!] as const))
  const kinds = new Map(columns.map((c) => [c.name, columnKind(c.type ?? '')] as const))
  const ranges = new Map<string, IntegerRange>()
  for (const c of columns) if (kinds.get(c.name) === 'integer') ranges.set(c.name, integerRange(dialect, c.type ?? ''))
  return {
    collection,
    table,
    primaryKey,
    filterable: new Set(filterable),
    tracked,
    columns: sent,
    allColumns: all,
    writable,
    updatedAt,
    types,
    kinds,
    ranges,
  }
}

const bits = (n: bigint): IntegerRange => ({ min: -(2n ** (n - 1n)), max: 2n ** (n - 1n) - 1n })

/** SQLite's integers are 64-bit whatever the declared type; PostgreSQL's int2 and int4 are narrower. */
export function integerRange(dialect: 'sqlite' | 'postgres', declared: string): IntegerRange {
  const t = declared.toLowerCase().trim()
  if (dialect === 'sqlite') return bits(64n)
  if (t === 'smallint' || t === 'int2' || t === 'smallserial') return bits(16n)
  if (t === 'integer' || t === 'int4' || t === 'int' || t === 'serial') return bits(32n)
  return bits(64n)
}

/**
 * Whether a JSON value is an integer the column can hold. Only safe integers are accepted as
 * numbers: a larger one has already lost digits in `JSON.parse`, and writing it would write
 * another value than the client meant.
 */
export function fitsInteger(value: unknown, range: IntegerRange | undefined): boolean {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return false
  if (!range) return true
  const v = BigInt(value)
  return v >= range.min && v <= range.max
}

/**
 * Map a declared type to the filter values it takes. Follows SQLite's affinity rules, which also
 * read PostgreSQL's type names right (integer/bigint/smallint, text/varchar, real/double/numeric).
 */
export function columnKind(declared: string): ColumnKind {
  const t = declared.toLowerCase()
  if (t === 'boolean' || t === 'bool') return 'boolean'
  if (t.includes('int')) return t.includes('interval') || t.includes('point') ? 'any' : 'integer'
  if (t.includes('char') || t.includes('clob') || t.includes('text')) return 'text'
  if (t.includes('real') || t.includes('floa') || t.includes('doub') || t.startsWith('numeric') || t.startsWith('decimal')) return 'number'
  return 'any'
}

/** Sources prepare a configuration object once; the handler and the write helper usually share it. */
export function memoizePrepare(
  prepare: (collections: CollectionsConfig) => Promise<Map<string, TableInfo>>,
): (collections: CollectionsConfig) => Promise<Map<string, TableInfo>> {
  const done = new WeakMap<CollectionsConfig, Promise<Map<string, TableInfo>>>()
  return (collections) => {
    let p = done.get(collections)
    if (!p) {
      p = prepare(collections)
      done.set(collections, p)
      // A failed preparation is not cached: the next call tries again.
      p.catch(() => done.delete(collections))
    }
    return p
  }
}
