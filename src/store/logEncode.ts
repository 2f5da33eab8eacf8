import { copyChanges } from './changeSet'
import type { ChangeSet } from './changeSet'
import { encodeRecord, frameParts } from './logRecords'
import type { Crc, LogRecord } from './logRecords'

/**
 * Encoding a save's records without holding the event loop for long. Stringifying a document
 * takes about 2 µs, so a save during a fast catch-up (30,000 documents a second) would block for
 * 60 ms or more in one `JSON.stringify`, and joining and copying its text as long again; a large
 * save is encoded `DOCS_PER_SLICE` documents at a time instead, each slice's text turned into bytes
 * at once, yielding between slices, into the same one record (a save stays one record: rows and
 * cursor durable together). Only the framing (one copy of the bytes, their CRC) is one step.
 */

/** Documents stringified between two yields (a few ms of work). */
export const DOCS_PER_SLICE = 2_000

/** Encodes records later, yielding between slices: `encode()` runs in the write queue. */
export type PendingRecords = () => Promise<Buffer[]>

/**
 * The records of a save, ready to encode. Small saves are encoded now; a large one is copied now
 * (one level deep: the documents handed over are the live ones, see changeSet.ts) and encoded in
 * slices when the returned function is called.
 */
export function prepareRecords(changes: ChangeSet, toRecords: (changes: ChangeSet) => LogRecord[], crc: Crc, yieldNow: () => Promise<void>): PendingRecords {
  const docs = changes.collections.reduce((sum, c) => sum + c.put.length, 0)
  if (docs <= DOCS_PER_SLICE) {
    const encoded = toRecords(changes).map((record) => encodeRecord(record, crc))
    return async () => encoded
  }
  const records = toRecords(copyChanges(changes))
  return async () => {
    const encoded: Buffer[] = []
    for (const record of records) encoded.push(frameParts(await encodeInSlices(record, yieldNow), crc))
    return encoded
  }
}

/** The bytes of `JSON.stringify(record)` in consecutive parts, made in slices of documents with a yield after each. */
export async function encodeInSlices(record: LogRecord, yieldNow: () => Promise<void>): Promise<Buffer[]> {
  const parts: Buffer[] = []
  const text = (json: string) => parts.push(Buffer.from(json))
  text(`{"full":${record.full},${record.parts === undefined ? '' : `"parts":${record.parts},`}"collections":[`)
  for (const [i, { name, maxId, put, removed }] of record.collections.entries()) {
    text(`${i > 0 ? ',' : ''}{"name":${JSON.stringify(name)},"maxId":${JSON.stringify(maxId)},"put":[`)
    for (let from = 0; from < put.length; from += DOCS_PER_SLICE) {
      const slice = JSON.stringify(put.slice(from, from + DOCS_PER_SLICE))
      text(`${from > 0 ? ',' : ''}${slice.slice(1, -1)}`)
      await yieldNow()
    }
    text(`],"removed":${JSON.stringify(removed)}}`)
  }
  text(']}')
  return parts
}
