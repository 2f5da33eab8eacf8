import { crc32Fallback, createReplay, encodeRecord, logMagic, readLog, recordEnd, snapshotRecords } from './logRecords'
import type { Crc } from './logRecords'

/** A compaction: the log file's first `upTo` bytes (whole records, all durable) into a snapshot at `temp`. */
export interface CompactionJob {
  path: string
  upTo: number
  temp: string
  fsync: boolean
}

/** Documents per snapshot record: records stay small enough to parse and checksum in short steps. */
const DOCS_PER_RECORD = 5_000

/**
 * The compaction itself, run in a worker thread: reads the log's first `upTo` bytes, replays them,
 * and writes the database they hold to `temp` as a fresh log (its snapshot records), flushed to
 * the disk. Returns the temp file's length. Self-contained, like the record functions it uses.
 */
export function compactLog(job: CompactionJob, fs: typeof import('node:fs'), crc: Crc, perRecord: number): { bytes: number } {
  // Created first: while it exists, a compaction is under way (or was cut short by a crash).
  const output = fs.openSync(job.temp, 'w')
  let written = 0
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
    if (job.fsync) fs.fsyncSync(output)
  } finally {
    fs.closeSync(output)
  }
  return { bytes: written }
}

/**
 * The worker's source: the functions above from their own text (no separate file to ship or
 * resolve, in the package or in tests). `__name` stands in for the helper some compilers insert to
 * keep function names.
 */
function workerSource(): string {
  const parts = [logMagic, crc32Fallback, encodeRecord, recordEnd, createReplay, readLog, snapshotRecords, compactLog]
  return [
    'var __name = (target) => target;',
    "const { parentPort, workerData } = require('node:worker_threads');",
    "const zlib = require('node:zlib');",
    ...parts.map(String),
    `parentPort.postMessage(${compactLog.name}(workerData, require('node:fs'), zlib.crc32 ? (bytes) => zlib.crc32(bytes) : ${crc32Fallback.name}, ${DOCS_PER_RECORD}));`,
  ].join('\n')
}

/** A compaction under way in a worker thread. */
export interface RunningCompaction {
  /** Resolves with the snapshot file's length; rejects if the compaction failed or was stopped. */
  readonly done: Promise<{ bytes: number }>
  /** Stops the worker (its temp file is left for the caller to remove). */
  stop(): Promise<void>
}

/** Starts a compaction in a worker thread: nothing of it runs on this thread. */
export async function startCompaction(job: CompactionJob): Promise<RunningCompaction> {
  const { Worker } = await import('node:worker_threads')
  // No loaders or flags of this process (a TypeScript loader would only slow its start).
  const worker = new Worker(workerSource(), { eval: true, workerData: job, execArgv: [] })
  // A compaction must not keep a process alive that has nothing else to do.
  worker.unref()
  const done = new Promise<{ bytes: number }>((resolve, reject) => {
    worker.once('message', (result: { bytes: number }) => resolve(result))
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the compaction worker stopped (exit code ${code})`)))
  })
  done.catch(() => {}) // the caller decides; an unobserved failure is not an error of the process
  return {
    done,
    stop: async () => {
      await worker.terminate()
    },
  }
}
