import { DELETED_COL, VERSION_COL } from './sql.js'
import type { CollectionConfig, CollectionsConfig, ColumnKind, TableInfo } from './types.js'

/**
 * Check a collection's configuration against the columns its table really has, and resolve the
 * defaults. Runs once at startup; a mistake here is the developer's, so it throws a plain Error.
 */
export function resolveTable(
  collection: string,
  config: CollectionConfig,
  columns: ReadonlyArray<{ name: string; type?: string }>,
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
  for (const f of config.filterable) need(f, 'filterable field')
  for (const f of config.scopeFields ?? []) need(f, 'scope field')
  const tracked = [...new Set([...config.filterable, ...(config.scopeFields ?? [])])]
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
  const types = new Map(columns.filter((c) => c.type).map((c) => [c.name, c.type!] as const))
  const kinds = new Map(columns.map((c) => [c.name, columnKind(c.type ?? '')] as const))
  return {
    collection,
    table,
    primaryKey,
    filterable: new Set(config.filterable),
    tracked,
    columns: sent,
    allColumns: all,
    updatedAt,
    types,
    kinds,
  }
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
