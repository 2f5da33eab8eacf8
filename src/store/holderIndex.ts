import type { Collection, StoredRow } from './rows'

/**
 * Which rows of one collection each subscription may hold, so that evicting a scope costs the rows
 * it holds and not every row stored. Fed by the collection's own insert, update and delete events:
 * every change of a row's holders goes through one of them, whichever module made it.
 */
export interface HolderIndex {
  /**
   * Takes out the keys of rows that may list `holder` among their holders: every row that does,
   * and possibly rows it held once (a holder dropped from a row that stays is not looked for). A
   * caller checks each row it finds.
   */
  take(holder: number): Iterable<string>
}

/**
 * Builds the index over the rows stored now (O(rows), once, at open) and keeps it from then on at
 * O(holders) per row written.
 */
export function indexHolders(collection: Collection<StoredRow>): HolderIndex {
  const byHolder = new Map<number, Set<string>>()
  const add = (doc: StoredRow) => {
    for (const id of doc.s) {
      let keys = byHolder.get(id)
      if (!keys) byHolder.set(id, (keys = new Set()))
      keys.add(doc.k)
    }
  }
  for (const doc of collection.data) add(doc)
  // Loki hands an array to 'insert' when an array was inserted.
  const added = (docs: StoredRow | StoredRow[]) => (Array.isArray(docs) ? docs.forEach(add) : add(docs))
  collection.on('insert', added)
  collection.on('update', added)
  collection.on('delete', (doc: StoredRow) => {
    for (const id of doc.s) byHolder.get(id)?.delete(doc.k)
  })
  return {
    take(holder) {
      const keys = byHolder.get(holder)
      byHolder.delete(holder)
      return keys ?? []
    },
  }
}
