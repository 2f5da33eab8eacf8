import type { Collection, StoredRow } from './rows'

/**
 * Which rows of one collection each subscription may hold, so that evicting a scope costs the rows
 * it holds and not every row stored. Fed by the collection's own insert and update events: every
 * change of a row's holders goes through one of them, whichever module made it.
 */
export interface HolderIndex {
  /**
   * Takes out the keys of rows that may list `holder` among their holders: every row that does,
   * and possibly rows that do not any more (a holder dropped, a row deleted, are not looked for).
   * A caller checks each row it finds.
   */
  take(holder: number): Iterable<string>
}

/**
 * Marks a holder list already indexed. A row's holder list is replaced whenever it changes, never
 * changed in place (`StoredRow.s`), so an update whose list carries the mark changed only the
 * version. A symbol: no persistence serializes it (JSON and structured clone leave it out).
 */
const INDEXED = Symbol('indexed')
type Marked = number[] & { [INDEXED]?: true }

/**
 * Builds the index over the rows stored now (O(rows), once, at open) and keeps it at one array
 * push per holder when a row is inserted or its holders change, nothing when only its version
 * does (about 20 ms of its own per 100,000 rows synced, plus Loki calling it: profiled).
 * Entries of rows gone stay until a holder's list outgrows twice the collection (it cannot hold
 * more), when that list is compacted: O(1) amortized.
 */
export function indexHolders(collection: Collection<StoredRow>): HolderIndex {
  const byHolder = new Map<number, string[]>()
  const compact = (holder: number, keys: string[]) => {
    const held = new Set(keys.filter((k) => collection.by('k', k)?.s.includes(holder)))
    byHolder.set(holder, [...held])
  }
  const add = (doc: StoredRow) => {
    const holders = doc.s as Marked
    if (holders[INDEXED]) return
    holders[INDEXED] = true
    for (const id of holders) {
      let keys = byHolder.get(id)
      if (!keys) byHolder.set(id, (keys = []))
      keys.push(doc.k)
      if (keys.length > 2 * collection.count() + 1024) compact(id, keys)
    }
  }
  for (const doc of collection.data) add(doc)
  // Loki hands an array to 'insert' when an array was inserted.
  const added = (docs: StoredRow | StoredRow[]) => (Array.isArray(docs) ? docs.forEach(add) : add(docs))
  collection.on('insert', added)
  collection.on('update', added)
  return {
    take(holder) {
      const keys = byHolder.get(holder)
      byHolder.delete(holder)
      return keys ?? []
    },
  }
}
