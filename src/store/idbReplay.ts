import { runToEnd } from '../core/yieldToEventLoop'
import type { StoredDoc } from './changeSet'
import type { LogValue } from './idbSchema'
import { UnreadableDatabase } from './idbRequests'

/**
 * Laying log records over snapshot chunks, for loading and for compaction. Both stay O(n): the
 * changes of a collection (or chunk) are gathered by id, later records winning, then merged with
 * the documents already in `$loki` order in one pass.
 */

/** Later changes by id: a document put, or null for a removal. */
export type Changes = Map<number, StoredDoc | null>

/** Checks that a stored log record is a change set; throws `UnreadableDatabase` if not. */
export function checkRecord(value: unknown): LogValue {
  const record = value as LogValue
  if (typeof record !== 'object' || record === null || !Array.isArray(record.collections)) throw new UnreadableDatabase('a log record is not a change set')
  for (const changes of record.collections) {
    if (typeof changes?.name !== 'string' || !Array.isArray(changes.put) || !Array.isArray(changes.removed)) throw new UnreadableDatabase('a log record is not a change set')
    for (const doc of changes.put) if (!Number.isInteger(doc?.$loki)) throw new UnreadableDatabase('a log record holds a document without an id')
  }
  return record
}

/** Checks that a stored chunk is a list of documents; throws `UnreadableDatabase` if not. */
export function checkChunk(value: unknown): StoredDoc[] {
  if (!Array.isArray(value)) throw new UnreadableDatabase('a snapshot chunk is not a list of documents')
  return value as StoredDoc[]
}

/** `docs` (in `$loki` order) with `changes` applied, still in `$loki` order. */
export function mergeChanges(docs: StoredDoc[], changes: Changes): StoredDoc[] {
  return runToEnd(mergeSteps(docs, changes))
}

/** Ids merged between two steps of {@link mergeSteps} (well under a millisecond). */
const IDS_PER_STEP = 5_000

/**
 * {@link mergeChanges} as steps, for `runInSlices`: a load that merges a large log runs it in
 * slices between which the event loop gets a turn.
 */
export function* mergeSteps(docs: StoredDoc[], changes: Changes): Generator<void, StoredDoc[]> {
  if (changes.size === 0) return docs
  const ids = [...changes.keys()]
  // Often already in order (ids are given out rising: a sync's new documents); sorting is then skipped.
  if (ids.some((id, i) => i > 0 && id < (ids[i - 1] as number))) ids.sort((a, b) => a - b)
  const merged: StoredDoc[] = []
  let at = 0
  for (const [i, id] of ids.entries()) {
    if (i % IDS_PER_STEP === IDS_PER_STEP - 1) yield
    while (at < docs.length && (docs[at] as StoredDoc).$loki < id) merged.push(docs[at++] as StoredDoc)
    if (at < docs.length && (docs[at] as StoredDoc).$loki === id) at++
    const doc = changes.get(id)
    if (doc) merged.push(doc)
  }
  while (at < docs.length) merged.push(docs[at++] as StoredDoc)
  return merged
}

/** Per collection: its changes by id (later records win) and the largest `maxId` its records gave. */
export type Replayed = Map<string, { maxId: number; changes: Changes }>

/** Lays one log record (the next in key order) over `tables`; returns the documents and removals it holds. */
export function replayRecord(tables: Replayed, value: unknown): number {
  let count = 0
  for (const { name, maxId, put, removed } of checkRecord(value).collections) {
    let table = tables.get(name)
    if (!table) tables.set(name, (table = { maxId: 0, changes: new Map() }))
    if (Number.isInteger(maxId) && maxId > table.maxId) table.maxId = maxId
    for (const doc of put) table.changes.set(doc.$loki, doc)
    for (const id of removed) table.changes.set(id, null)
    count += put.length + removed.length
  }
  return count
}
