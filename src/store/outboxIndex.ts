import type Loki from 'lokijs'
import type { Key } from '../core/protocol'
import type { Row } from '../core/pullWire'
import type { CollectionChange, OutboxEntry, PendingCount } from '../core/writeTypes'
import type { BaseDoc } from './outboxStore'

/** What a pending write makes a row show: its row (upsert), or nothing (delete). */
export const effectOf = (entry: OutboxEntry): Row | undefined => (entry.op === 'upsert' ? entry.row : undefined)

/**
 * The outbox in memory, per collection and key (as a string): each key's pending writes in order,
 * and what the key shows (its last pending write's effect, else the stored server row).
 */
export interface OutboxIndex {
  /** A key's pending writes in order (`create`: an empty list is made if there is none). */
  listOf(collection: string, k: string, create?: boolean): OutboxEntry[] | undefined
  /** Takes one write out of its key's list (the list goes when empty). */
  drop(entry: OutboxEntry): void
  /** Forgets a key's list. */
  dropKey(collection: string, k: string): void
  /** A collection's keys with pending writes. */
  keysOf(collection: string): Map<string, OutboxEntry[]> | undefined
  collections(): IterableIterator<[string, Map<string, OutboxEntry[]>]>
  /** The stored server row of a key. */
  baseOf(collection: string, k: string): BaseDoc | undefined
  visible(collection: string, k: string): Row | undefined
  count(collection: string, key: Key): PendingCount
  /** What Redux must show of a key now, as a change. */
  changeOf(collection: string, key: Key): CollectionChange
}

export function createOutboxIndex(entries: readonly OutboxEntry[], rowsOf: (collection: string) => Loki.Collection<BaseDoc>): OutboxIndex {
  const byKey = new Map<string, Map<string, OutboxEntry[]>>()
  const listOf: OutboxIndex['listOf'] = (collection, k, create = false) => {
    let keys = byKey.get(collection)
    if (!keys) {
      if (!create) return undefined
      byKey.set(collection, (keys = new Map()))
    }
    let list = keys.get(k)
    if (!list && create) keys.set(k, (list = []))
    return list
  }
  for (const entry of entries) listOf(entry.collection, String(entry.key), true)!.push(entry)
  const baseOf = (collection: string, k: string) => rowsOf(collection).by('k', k) as BaseDoc | undefined
  const visible = (collection: string, k: string): Row | undefined => {
    const list = listOf(collection, k)
    if (list && list.length > 0) return effectOf(list[list.length - 1]!)
    return baseOf(collection, k)?.r
  }
  return {
    listOf,
    drop(entry) {
      const keys = byKey.get(entry.collection)
      const list = keys?.get(String(entry.key))
      if (!keys || !list) return
      const at = list.indexOf(entry)
      if (at >= 0) list.splice(at, 1)
      if (list.length === 0) keys.delete(String(entry.key))
    },
    dropKey: (collection, k) => void byKey.get(collection)?.delete(k),
    keysOf: (collection) => byKey.get(collection),
    collections: () => byKey.entries(),
    baseOf,
    visible,
    count: (collection, key) => ({ collection, key, count: listOf(collection, String(key))?.length ?? 0 }),
    changeOf(collection, key) {
      const row = visible(collection, String(key))
      return row ? { collection, upserted: [row], removed: [] } : { collection, upserted: [], removed: [key] }
    },
  }
}
