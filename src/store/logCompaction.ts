import { compactLog, crc32Fallback, createReplay, encodeRecord, frameParts, logMagic, readLog, recordEnd, snapshotRecords } from './logRecords'
import type { CompactionJob } from './logRecords'

export type { CompactionJob } from './logRecords'

/** Documents per snapshot record: records stay small enough to parse and checksum in short steps. */
export const DOCS_PER_RECORD = 5_000

/**
 * The worker's source: the functions above from their own text (no separate file to ship or
 * resolve, in the package or in tests). `__name` stands in for the helper some compilers insert to
 * keep function names.
 */
function workerSource(): string {
  const parts = [logMagic, crc32Fallback, encodeRecord, frameParts, recordEnd, createReplay, readLog, snapshotRecords, compactLog]
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
  /** Resolves with the snapshot file's length and documents; rejects if the compaction failed or was stopped. */
  readonly done: Promise<{ bytes: number; docs: number }>
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
  const done = new Promise<{ bytes: number; docs: number }>((resolve, reject) => {
    worker.once('message', (result: { bytes: number; docs: number }) => resolve(result))
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
