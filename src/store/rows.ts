import type Loki from 'lokijs'
import type { Version } from '../core/protocol'
import type { Change, Row } from '../core/pullWire'
import type { TombstoneMemory } from './tombstones'
import { compareVersions } from '../core/versions'

export type Collection<T extends object> = Loki.Collection<T>

/**
 * A stored row: key as string (Loki's unique index compares strings), version, the row itself, and
 * the ids of the subscriptions whose streams hold it. Holders make overlapping subscriptions
 * converge: a row that leaves one filter stays while another running subscription still holds
 * it, and a delete removes it once every running holder's stream has brought the tombstone.
 * Holders whose streams are not running (unsubscribed, or not yet subscribed since a reload)
 * cannot be waited for: the row goes, and each of them starts its stream over from the beginning
 * when it runs again, since its stream may already have passed the row. A row's holder list is
 * replaced whenever it changes, never changed in place (./holderIndex.ts relies on it).
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
  // A page almost never names a key twice: one set operation per change finds out, and the page
  // is then used as it is.
  const keys = new Set<string>()
  for (const change of changes) keys.add(String(change.key))
  if (keys.size === changes.length) return changes
  const byKey = new Map<string, Change>()
  for (const change of changes) {
    const k = String(change.key)
    byKey.delete(k)
    byKey.set(k, change)
  }
  return byKey.values()
}

/**
 * A live row reaches a subscription: the subscription becomes one of its holders, and the row
 * replaces the held one only if its version is newer. A row older than a tombstone seen for its key
 * is not stored at all (its stream will bring the newer state). Returns the row Redux must show, if any.
 */
export function holdRow(collection: Collection<StoredRow>, k: string, held: StoredRow | null | undefined, change: Extract<Change, { deleted: false }>, holder: number, gone: TombstoneMemory): Row | undefined {
  if (!gone.admits(k, change.version)) return undefined
  gone.forget(k)
  if (!held) {
    collection.insert({ k, v: change.version, r: change.row, s: [holder] })
    return change.row
  }
  const newer = compareVersions(change.version, held.v) > 0
  const holds = held.s.includes(holder)
  if (!newer && holds) return undefined
  if (!holds) held.s = [...held.s, holder]
  if (newer) {
    held.v = change.version
    held.r = change.row
  }
  collection.update(held)
  return newer ? change.row : undefined
}
