/**
 * The file log's records: framing, reading and replay. A log file is
 *
 *     "redux-replica log 1\n"  then records, each  [payload bytes u32 LE][CRC-32 of payload u32 LE][payload]
 *
 * and every payload is one save's change set as JSON (`LogRecord`). The first record begins the
 * snapshot: a compaction writes the whole database as `parts` records (the first `full`), and each
 * save after it appends one record. A record that is cut short or fails its checksum ends the log:
 * only the last record can be torn (appends are sequential), and a save is durable only once its
 * record is whole, so dropping it loses exactly the save that never completed.
 *
 * Every function here is self-contained (no imports, no module constants, only each other and
 * `Buffer`), and they stay in this one module: the compaction worker runs them from their source
 * text (see logCompaction.ts), where a reference to another module's export would not resolve.
 */
import type { CollectionChanges, StoredDatabase, StoredDoc } from './changeSet'

/** One record's payload: a change set; on the first record of a snapshot, how many records it has. */
export interface LogRecord {
  full: boolean
  collections: CollectionChanges[]
  /** First record of a compacted snapshot: the snapshot's records, this one included. */
  parts?: number
}

/** A CRC-32 (zlib's where Node has it). */
export type Crc = (bytes: Uint8Array) => number

/** What a log file starts with: the layout and its version. */
export function logMagic(): string {
  return 'redux-replica log 1\n'
}

/** CRC-32 (IEEE) for Node versions without `zlib.crc32` (before 20.15). */
export function crc32Fallback(bytes: Uint8Array): number {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  let crc = -1
  for (let i = 0; i < bytes.length; i++) crc = (table[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}

/** One record, framed. */
export function encodeRecord(record: LogRecord, crc: Crc): Buffer {
  return frameParts([Buffer.from(JSON.stringify(record))], crc)
}

/** A record's payload, given as consecutive parts of its JSON bytes, framed: its length, its checksum, its bytes. */
export function frameParts(parts: Buffer[], crc: Crc): Buffer {
  const framed = Buffer.concat([Buffer.alloc(8), ...parts])
  const payload = framed.subarray(8)
  framed.writeUInt32LE(payload.length, 0)
  framed.writeUInt32LE(crc(payload), 4)
  return framed
}

/** Where the whole record starting at `at` ends, or -1 if it is cut short or fails its checksum. */
export function recordEnd(bytes: Buffer, at: number, crc: Crc): number {
  if (at + 8 > bytes.length) return -1
  const end = at + 8 + bytes.readUInt32LE(at)
  if (end > bytes.length || crc(bytes.subarray(at + 8, end)) !== bytes.readUInt32LE(at + 4)) return -1
  return end
}

/**
 * Replays change sets in order into a stored database. Documents are kept in `$loki` order (new
 * ids only grow, so they append; a changed or removed one is found by binary search).
 */
export function createReplay(): { apply(record: LogRecord): { docs: number; superseded: number }; result(): StoredDatabase } {
  type Table = { maxId: number; ids: number[]; docs: (StoredDoc | null)[] }
  const tables = new Map<string, Table>()
  /** Puts (or, with null, removes) a document; true when it replaced or removed one that was there. */
  function place(table: Table, id: unknown, doc: StoredDoc | null): boolean {
    if (!Number.isInteger(id)) throw new Error('a record holds a document without an id')
    const { ids, docs } = table
    const key = id as number
    if (ids.length === 0 || (ids[ids.length - 1] as number) < key) {
      if (doc) {
        ids.push(key)
        docs.push(doc)
      }
      return false
    }
    let lo = 0
    let hi = ids.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((ids[mid] as number) < key) lo = mid + 1
      else hi = mid
    }
    if (ids[lo] === key) {
      const was = docs[lo]
      docs[lo] = doc
      return was !== null
    }
    if (doc) {
      ids.splice(lo, 0, key)
      docs.splice(lo, 0, doc)
    }
    return false
  }
  return {
    apply(record) {
      if (typeof record !== 'object' || record === null || !Array.isArray(record.collections)) throw new Error('a record is not a change set')
      if (record.full) tables.clear()
      let docs = 0
      let superseded = 0
      for (const changes of record.collections) {
        if (typeof changes?.name !== 'string' || !Array.isArray(changes.put) || !Array.isArray(changes.removed)) throw new Error('a record is not a change set')
        let table = tables.get(changes.name)
        if (!table) tables.set(changes.name, (table = { maxId: 0, ids: [], docs: [] }))
        if (Number.isInteger(changes.maxId) && changes.maxId > table.maxId) table.maxId = changes.maxId
        for (const doc of changes.put) superseded += place(table, doc?.$loki, doc) ? 1 : 0
        for (const id of changes.removed) superseded += place(table, id, null) ? 1 : 0
        docs += changes.put.length + changes.removed.length
      }
      return { docs, superseded }
    },
    result() {
      return { collections: [...tables].map(([name, { maxId, docs }]) => ({ name, maxId, data: docs.filter((doc): doc is StoredDoc => doc !== null) })) }
    },
  }
}

/**
 * Reads a whole log file. `end`: where its last whole record ends (what follows is a torn record
 * to drop); `snapshotEnd`: where the snapshot's records end and the appended ones begin; `docs`:
 * the documents and removals its records hold; `superseded`: how many of them a later record
 * replaced or removed (what a compaction would drop).
 */
export function readLog(bytes: Buffer, crc: Crc): { database: StoredDatabase; snapshotEnd: number; end: number; docs: number; superseded: number } | { problem: string } {
  const magic = logMagic()
  if (bytes.length < magic.length || bytes.toString('latin1', 0, magic.length) !== magic) return { problem: 'it is not a redux-replica log' }
  const replay = createReplay()
  let at = magic.length
  let snapshotEnd = at
  let parts = 1
  let count = 0
  let docs = 0
  let superseded = 0
  for (let end = recordEnd(bytes, at, crc); end >= 0; end = recordEnd(bytes, at, crc)) {
    try {
      const record = JSON.parse(bytes.toString('utf8', at + 8, end)) as LogRecord
      if (count === 0 && Number.isInteger(record?.parts)) parts = record.parts as number
      const applied = replay.apply(record)
      docs += applied.docs
      superseded += applied.superseded
    } catch (error) {
      // Whole and checksummed, yet not a change set: written by something else.
      return { problem: `record ${count + 1} is not a change set (${error instanceof Error ? error.message : String(error)})` }
    }
    count++
    at = end
    if (count === parts) snapshotEnd = at
  }
  // The snapshot was complete before it was renamed into place: a gap in it is damage, not a crash.
  if (count < parts) return { problem: count === 0 ? 'its first record is damaged' : `its snapshot has ${count} of ${parts} records` }
  return { database: replay.result(), snapshotEnd, end: at, docs, superseded }
}

/** A database as snapshot records of at most `perRecord` documents: the first `full`, with `parts`. */
export function snapshotRecords(database: StoredDatabase, perRecord: number): LogRecord[] {
  const head: LogRecord = { full: true, parts: 0, collections: database.collections.map(({ name, maxId }) => ({ name, maxId, put: [], removed: [] })) }
  const records = [head]
  for (const { name, maxId, data } of database.collections) {
    for (let from = 0; from < data.length; from += perRecord) {
      records.push({ full: false, collections: [{ name, maxId, put: data.slice(from, from + perRecord), removed: [] }] })
    }
  }
  head.parts = records.length
  return records
}

/** A compaction: the log file's first `upTo` bytes (whole records, all durable) into a snapshot at `temp`. */
export interface CompactionJob {
  path: string
  upTo: number
  temp: string
  fsync: boolean
}

/**
 * The compaction itself, run in a worker thread: reads the log's first `upTo` bytes, replays them,
 * and writes the database they hold to `temp` as a fresh log (its snapshot records), flushed to
 * the disk. Returns the temp file's length and the documents in it. Self-contained, like the functions above.
 */
export function compactLog(job: CompactionJob, fs: typeof import('node:fs'), crc: Crc, perRecord: number): { bytes: number; docs: number } {
  // Created first: while it exists, a compaction is under way (or was cut short by a crash).
  const output = fs.openSync(job.temp, 'w')
  let written = 0
  let docs = 0
  try {
    const bytes = Buffer.allocUnsafe(job.upTo)
    const input = fs.openSync(job.path, 'r')
    try {
      for (let at = 0; at < job.upTo; ) {
        const read = fs.readSync(input, bytes, at, job.upTo - at, at)
        if (read === 0) throw new Error('the log is shorter than its records')
        at += read
      }
    } finally {
      fs.closeSync(input)
    }
    const log = readLog(bytes, crc)
    if ('problem' in log) throw new Error(`the log cannot be compacted: ${log.problem}`)
    if (log.end !== job.upTo) throw new Error('the log does not end with a whole record where compaction began')
    const write = (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; ) at += fs.writeSync(output, chunk, at, chunk.length - at)
      written += chunk.length
    }
    write(Buffer.from(logMagic(), 'latin1'))
    for (const record of snapshotRecords(log.database, perRecord)) write(encodeRecord(record, crc))
    for (const collection of log.database.collections) docs += collection.data.length
    if (job.fsync) fs.fsyncSync(output)
  } finally {
    fs.closeSync(output)
  }
  return { bytes: written, docs }
}
