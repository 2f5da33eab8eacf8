import type Loki from 'lokijs'
import type { Version } from '../protocol'
import type { Change, Row } from '../sync/transport'

export type Collection<T extends object> = Loki.Collection<T>

/**
 * A stored row: key as string (Loki's unique index compares strings), version, the row itself, and
 * the ids of the subscriptions whose streams hold it. Holders make overlapping subscriptions
 * converge: a row that leaves one filter stays while another running subscription still holds
 * it, and a delete removes it once every running holder's stream has brought the tombstone.
 * Holders whose streams are not running (unsubscribed, or not yet subscribed since a reload)
 * cannot be waited for: the row goes, and each of them starts its stream over from the beginning
 * when it runs again, since its stream may already have passed the row.
 */
export interface StoredRow {
  k: string
  v: Version
  r: Row
  s: number[]
}

/** The last change of each key wins, in the order of its last appearance. */
export function lastChangePerKey(changes: Change[]): Iterable<Change> {
  if (changes.length < 2) return changes
  const byKey = new Map<string, Change>()
  for (const change of changes) {
    const k = String(change.key)
    byKey.delete(k)
    byKey.set(k, change)
  }
  return byKey.values()
}
