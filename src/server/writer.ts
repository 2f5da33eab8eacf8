import type { JsonPrimitive, Key } from '../core/protocol.js'
import { ReplicaError, badRequest } from './errors.js'
import { checkCollectionsConfig } from './config-check.js'
import { DELETED_COL, VERSION_COL } from './sql.js'
import { nowMicros } from './timestamp.js'
import type { CollectionsConfig, ReplicaSource, TableInfo } from './types.js'

/**
 * Writes for application code. Versions, tombstones and move-outs are the triggers' work (so raw
 * SQL gets them too); the helper adds what triggers cannot know: it refuses unknown and reserved
 * columns, stamps `updated_at` with a microsecond timestamp for the 2015 endpoints, soft-deletes,
 * and hands back the row as a pull would send it (with its new `_version`).
 */
export interface ReplicaWriter {
  /** Insert a row; returns it as the wire sends it. */
  insert(collection: string, row: Record<string, JsonPrimitive>, options?: WriteOptions): Promise<Record<string, unknown>>
  /** Change some fields of a row (an empty patch just gives it a new version); null if no such row. */
  update(collection: string, id: Key, patch: Record<string, JsonPrimitive>, options?: WriteOptions): Promise<Record<string, unknown> | null>
  /** Soft-delete a row: it stays in the table with `_deleted` set and travels as a tombstone. Null if absent or already removed. */
  remove(collection: string, id: Key, options?: WriteOptions): Promise<Record<string, unknown> | null>
}

export interface WriteOptions {
  /**
   * Run on this connection, e.g. a pg `PoolClient` inside your own transaction.
   * @example await writer.update('note', 7, { body: 'x' }, { via: client })
   */
  via?: unknown
}

/**
 * @example
 * const writer = createReplicaWriter({ source, collections })
 * const note = await writer.insert('note', { id: 1, project_id: 7, body: 'hi' })
 * await writer.update('note', 1, { project_id: 8 }) // project 7's subscribers get a tombstone
 * await writer.remove('note', 1)
 */
export function createReplicaWriter(options: { source: ReplicaSource; collections: CollectionsConfig }): ReplicaWriter {
  const { source, collections } = options
  checkCollectionsConfig(collections)

  async function table(collection: string): Promise<TableInfo> {
    const t = (await source.prepare(collections)).get(collection)
    if (!t) throw new ReplicaError(404, 'unknown_collection', `unknown collection ${JSON.stringify(collection)}`)
    return t
  }
  function check(t: TableInfo, fields: Record<string, JsonPrimitive>): Record<string, JsonPrimitive> {
    const out: Record<string, JsonPrimitive> = {}
    for (const [k, v] of Object.entries(fields)) {
      if (k === VERSION_COL || k === DELETED_COL) throw badRequest(`${k} is maintained by the server`)
      if (!t.allColumns.has(k)) throw badRequest(`${JSON.stringify(k)} is not a column of ${t.table}`)
      if (v !== null && typeof v === 'object') throw badRequest(`${k} must be a string, number, boolean or null`)
      out[k] = v
    }
    if (t.updatedAt && !Object.hasOwn(out, t.updatedAt)) out[t.updatedAt] = nowMicros()
    return out
  }

  return {
    async insert(collection, row, o) {
      const t = await table(collection)
      const written = await source.write(t, { kind: 'insert', row: check(t, row) }, o?.via)
      if (!written) throw new Error(`redux-replica: inserted row of ${collection} could not be read back`)
      return written
    },
    async update(collection, id, patch, o) {
      const t = await table(collection)
      if (Object.hasOwn(patch, t.primaryKey)) throw badRequest('the primary key cannot be changed')
      return source.write(t, { kind: 'update', id, patch: check(t, patch) }, o?.via)
    },
    async remove(collection, id, o) {
      const t = await table(collection)
      const stamp = t.updatedAt ? { [t.updatedAt]: nowMicros() } : undefined
      return source.write(t, { kind: 'remove', id, stamp }, o?.via)
    },
  }
}
