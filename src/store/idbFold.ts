import type { CollectionChanges } from './changeSet'
import type { Changes } from './idbReplay'
import { checkRecord } from './idbReplay'
import { chunkOf } from './idbSchema'
import type { LogValue } from './idbSchema'

/** Snapshot chunks one compaction step rewrites at the most. */
export const CHUNKS_PER_STEP = 4

/** One chunk a compaction step rewrites: the changes to fold into it, in log order (later wins). */
export interface ChunkFold {
  name: string
  n: number
  changes: Changes
}

/** What one compaction step does with the oldest log records it read. */
export interface Fold {
  chunks: ChunkFold[]
  /** The largest `maxId` per collection among the records read. */
  maxIds: Map<string, number>
  /** Records that gave changes to the chunks: deleted (`value` undefined) or put back with the rest. */
  records: Array<{ key: IDBValidKey; value?: LogValue }>
  /** Documents and removals folded into the chunks. */
  folded: number
}

/**
 * Plans a compaction step over the oldest log records (`keys` and `values` in key order): picks
 * up to `CHUNKS_PER_STEP` chunks, in the order the records first touch them, and takes out of
 * those records every change that falls into one of them. Correct because the records are the
 * oldest: for any document, the changes left in the log are all later than what the chunk now
 * holds, so snapshot + log still replays to the same database. Throws `UnreadableDatabase` for a
 * record that is not a change set.
 */
export function planFold(keys: IDBValidKey[], values: unknown[], chunksPerStep = CHUNKS_PER_STEP): Fold {
  const chunks = new Map<string, ChunkFold>()
  const maxIds = new Map<string, number>()
  const records: Fold['records'] = []
  let folded = 0
  const foldInto = (name: string, id: number): Changes | undefined => {
    const n = chunkOf(id)
    const at = `${n}:${name}`
    let chunk = chunks.get(at)
    if (!chunk && chunks.size < chunksPerStep) chunks.set(at, (chunk = { name, n, changes: new Map() }))
    return chunk?.changes
  }
  values.forEach((value, i) => {
    const rest: CollectionChanges[] = []
    let took = 0
    for (const { name, maxId, put, removed } of checkRecord(value).collections) {
      if (Number.isInteger(maxId) && maxId > (maxIds.get(name) ?? 0)) maxIds.set(name, maxId)
      const kept: CollectionChanges = { name, maxId, put: [], removed: [] }
      for (const doc of put) {
        const changes = foldInto(name, doc.$loki)
        if (changes) changes.set(doc.$loki, doc)
        else kept.put.push(doc)
      }
      for (const id of removed) {
        const changes = foldInto(name, id)
        if (changes) changes.set(id, null)
        else kept.removed.push(id)
      }
      took += put.length - kept.put.length + removed.length - kept.removed.length
      if (kept.put.length > 0 || kept.removed.length > 0) rest.push(kept)
    }
    folded += took
    // A record that gave nothing stays as it is (unless it holds nothing at all).
    if (took > 0 || rest.length === 0) records.push(rest.length === 0 ? { key: keys[i] as IDBValidKey } : { key: keys[i] as IDBValidKey, value: { collections: rest } })
  })
  return { chunks: [...chunks.values()], maxIds, records, folded }
}
