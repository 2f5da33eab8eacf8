import type { ChangeSet } from './changeSet'

/**
 * How much of a log file later records have made stale (documents replaced or removed): what a
 * compaction would drop, and so when one is worth its cost. Counted, not measured: the documents
 * and removals the records hold, how many of them a later record replaced, and per collection the
 * last id the file knows (a document at or below it was saved before, so saving it again replaces
 * a copy). Stale bytes are estimated at the file's average bytes per document.
 */
export interface Staleness {
  /** Counts a change set as a save begins; the returned function records it once it is written. */
  tally(changes: ChangeSet): () => void
  /** A file was read: its counts, and the last id of each collection. */
  loaded(counts: { docs: number; superseded: number }, maxIds: Iterable<[string, number]>): void
  /** The counts as they are now (taken when a compaction begins). */
  mark(): { docs: number; superseded: number }
  /** A compaction from `before` installed a snapshot of `snapshotDocs` documents. */
  compacted(snapshotDocs: number, before: { docs: number; superseded: number }): void
  /** The stale part of a file of `recordBytes` bytes of records. */
  staleBytes(recordBytes: number): number
}

export function createStaleness(): Staleness {
  let docs = 0
  let superseded = 0
  const savedMaxId = new Map<string, number>()
  return {
    tally(changes) {
      let held = 0
      let replaced = 0
      const maxIds: Array<[string, number]> = []
      for (const { name, maxId, put, removed } of changes.collections) {
        const saved = changes.full ? 0 : savedMaxId.get(name) ?? 0
        for (const doc of put) if (doc.$loki <= saved) replaced++
        for (const id of removed) if (id <= saved) replaced++
        held += put.length + removed.length
        maxIds.push([name, maxId])
      }
      return () => {
        if (changes.full) {
          docs = superseded = 0
          savedMaxId.clear()
        }
        docs += held
        superseded += replaced
        for (const [name, maxId] of maxIds) savedMaxId.set(name, maxId)
      }
    },
    loaded(counts, maxIds) {
      docs = counts.docs
      superseded = counts.superseded
      savedMaxId.clear()
      for (const [name, maxId] of maxIds) savedMaxId.set(name, maxId)
    },
    mark: () => ({ docs, superseded }),
    compacted(snapshotDocs, before) {
      // The snapshot holds the live documents; the records copied after it, what came meanwhile.
      docs = snapshotDocs + docs - before.docs
      superseded -= before.superseded
    },
    staleBytes: (recordBytes) => (docs === 0 ? 0 : Math.round((superseded * recordBytes) / docs)),
  }
}
