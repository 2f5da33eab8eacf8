import type { CollectionConfig, CollectionsConfig } from './types.js'

/**
 * The shape of the `collections` option, checked when the handler (or the write helper) is made,
 * before any database is touched: a typo or a wrong type is a clear error at start-up, never a
 * surprising default at the first request. What needs the table (do the columns exist, are the
 * writable ones readable) is checked by `resolveTable` when the source prepares.
 */
const KNOWN: ReadonlySet<string> = new Set(['table', 'primaryKey', 'filterable', 'scopeFields', 'columns', 'updatedAt', 'writable'] satisfies Array<keyof CollectionConfig>)

const fail = (collection: string, message: string): never => {
  throw new Error(`redux-replica: collection ${JSON.stringify(collection)}: ${message}`)
}

function stringList(collection: string, name: string, value: unknown): void {
  if (value === undefined) return
  if (!Array.isArray(value)) fail(collection, `${name} must be an array of column names, got ${typeof value}`)
  for (const v of value as unknown[]) {
    if (typeof v !== 'string' || v === '') fail(collection, `${name} must hold non-empty strings, got ${JSON.stringify(v)}`)
  }
  if (new Set(value as string[]).size !== (value as string[]).length) fail(collection, `${name} names a column twice`)
}

export function checkCollectionsConfig(collections: unknown): asserts collections is CollectionsConfig {
  if (typeof collections !== 'object' || collections === null || Array.isArray(collections)) {
    throw new Error('redux-replica: collections must be an object of collection configurations')
  }
  for (const [name, config] of Object.entries(collections)) {
    if (name === '') throw new Error('redux-replica: a collection name cannot be empty')
    if (typeof config !== 'object' || config === null || Array.isArray(config)) fail(name, 'the configuration must be an object')
    const c = config as Record<string, unknown>
    for (const key of Object.keys(c)) {
      if (!KNOWN.has(key)) fail(name, `unknown option ${JSON.stringify(key)} (known: ${[...KNOWN].join(', ')})`)
    }
    for (const key of ['table', 'primaryKey'] as const) {
      if (c[key] !== undefined && (typeof c[key] !== 'string' || c[key] === '')) fail(name, `${key} must be a non-empty string`)
    }
    if (c.updatedAt !== undefined && c.updatedAt !== false && (typeof c.updatedAt !== 'string' || c.updatedAt === '')) {
      fail(name, 'updatedAt must be a column name or false')
    }
    for (const key of ['filterable', 'scopeFields', 'columns'] as const) stringList(name, key, c[key])
    if (c.writable === true) {
      fail(name, 'writable: true is not accepted: list the columns clients may write, e.g. writable: [\'title\', \'done\']')
    }
    if (c.writable !== undefined && c.writable !== false) stringList(name, 'writable', c.writable)
  }
}
