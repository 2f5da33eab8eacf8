import type { JsonPrimitive } from '../core/protocol.js'
import type { RowImage } from './poke-hub.js'
import type { Clause, ColumnKind, ScopeValue, TableInfo } from './types.js'

/**
 * What one caller may hear of a batch's rows in one collection: only rows its scope covers
 * (before or after the write: a row that left the scope is a tombstone the caller will pull),
 * and of those only the filterable fields' values, which its subscriptions filter by. Another
 * caller's rows and scope values never reach it. Null: nothing for this caller.
 */
export function visibleValues(images: readonly RowImage[], scope: readonly Clause[], table: TableInfo): Record<string, JsonPrimitive[]> | null {
  const seen = images.filter((image) => scope.every((clause) => clause.values.some((v) => sameValue(v, image[clause.field], table.kinds.get(clause.field)))))
  if (seen.length === 0) return null
  const values: Record<string, JsonPrimitive[]> = {}
  for (const field of table.filterable) {
    const distinct = new Map<string, JsonPrimitive>()
    for (const image of seen) {
      const v = image[field]
      if (v === undefined) continue
      distinct.set(JSON.stringify(v), v)
    }
    if (distinct.size > 0) values[field] = [...distinct.values()]
  }
  return values
}

/**
 * A scope value against a value from the trigger's JSON. A number past 2^53 in that JSON lost
 * digits on the way, so it cannot be told apart: it counts as a match (the caller is poked and
 * its pull, scoped exactly by the database, decides).
 */
function sameValue(scope: ScopeValue, row: JsonPrimitive | undefined, kind: ColumnKind | undefined): boolean {
  if (row === undefined) return true
  if (typeof row === 'number' && Number.isInteger(row) && !Number.isSafeInteger(row)) return true
  if (kind === 'integer' && row !== null && scope !== null && (typeof scope === 'bigint' || typeof scope === 'string' || typeof scope === 'number')) {
    return String(scope) === String(row)
  }
  return scope === row
}
