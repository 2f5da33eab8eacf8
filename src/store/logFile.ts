import type { FileHandle } from 'node:fs/promises'
import type { ChangeSet, StoredCollection, TakeChanges } from './changeSet'
import { DOCS_PER_RECORD, startCompaction } from './logCompaction'
import type { CompactionJob, RunningCompaction } from './logCompaction'
import { prepareRecords } from './logEncode'
import { crc32Fallback, logMagic, readLog, snapshotRecords } from './logRecords'
import type { Crc } from './logRecords'
import { createStaleness } from './logStaleness'
import type { Staleness } from './logStaleness'
import type { Loaded } from './persistence'

/** How big the parts of a log file are, in bytes. */
export interface LogSizes {
  /** The snapshot the last compaction (or the file's first save) wrote. */
  snapshotBytes: number
  /** The records appended after it. */
  logBytes: number
  /**
   * About how much of the file later records have replaced or removed: what a compaction would
   * drop (documents replaced or removed, at the file's average bytes per document).
   */
  staleBytes: number
}

export interface LogFileOptions {
  path: string
  fsync: boolean
  /** Asked after each save while no compaction runs: start one now? */
  compactWhen(sizes: LogSizes): boolean
}

/** One log file: a snapshot, then one appended record per save (format in logRecords.ts). */
export interface LogFile {
  load(): Promise<Loaded>
  save(take: TakeChanges): Promise<void>
  /** Renames the file to `aside` (if there is one); the next save starts a new file. */
  moveTo(aside: string): Promise<void>
  close(): Promise<void>
}

/**
 * Opens the log file at `path` (Node). Every write goes through one queue, so an append, a rewrite
 * and the end of a compaction never overlap. Crash safety, step by step:
 * - an append writes one record at the end of the last whole one and syncs it: a crash leaves at
 *   most a torn last record, which the next load drops (and the next append cuts off);
 * - a new file (the first save, a migration) and a compacted one are written to a temp file,
 *   synced, renamed over `path`, and the directory synced: `path` is always one whole log;
 * - a compaction reads the records that were durable when it began, in a worker thread, and
 *   writes their snapshot to `<path>.compact`; back in the queue, the records appended meanwhile are
 *   copied after it before the rename. A crash at any point leaves the old file or the new one.
 *
 * (Long because it is a factory: its length is the short steps above over one shared file state.)
 */
export async function openLogFile({ path, fsync, compactWhen }: LogFileOptions): Promise<LogFile> {
  const fs = await import('node:fs/promises')
  const { dirname } = await import('node:path')
  const zlib = await import('node:zlib')
  const crc: Crc = typeof zlib.crc32 === 'function' ? (bytes) => zlib.crc32(bytes) : crc32Fallback
  const magic = Buffer.from(logMagic(), 'latin1')
  const temp = `${path}.tmp`
  const compactTemp = `${path}.compact`

  let handle: FileHandle | undefined
  let end = 0
  let snapshotEnd = 0
  const staleness = createStaleness()
  // Bytes past `end` (a failed append's) to cut off before the next append.
  let torn = false
  // No usable log at `path`: the next save writes a whole new file.
  let rewrite = true
  // Bumps whenever `path` is replaced: a compaction of an older file is dropped.
  let generation = 0
  let compacting: Promise<void> | undefined
  let running: RunningCompaction | undefined
  // After a failed compaction, the next waits until the file has doubled.
  let retryAt = 0
  let closed = false
  let queue: Promise<unknown> = Promise.resolve()
  const inQueue = <T>(step: () => Promise<T>): Promise<T> => {
    const run = queue.then(step)
    queue = run.catch(() => {})
    return run
  }

  const writeAll = async (file: FileHandle, bytes: Buffer, position: number) => {
    for (let at = 0; at < bytes.length; ) at += (await file.write(bytes, at, bytes.length - at, position + at)).bytesWritten
  }
  const syncDirectory = async () => {
    // Makes a rename durable. Some platforms cannot open a directory: the file's own sync already
    // happened, so that is as good as they get.
    const directory = await fs.open(dirname(path), 'r').catch(() => undefined)
    try {
      await directory?.sync().catch(() => {})
    } finally {
      await directory?.close()
    }
  }
  /** Puts a complete temp file (of `bytes`, its snapshot ending at `snapshot`) in place of `path`, durably. */
  const install = async (from: string, bytes: number, snapshot: number) => {
    // Closed first: some platforms cannot rename over an open file.
    const old = handle
    handle = undefined
    await old?.close()
    await fs.rename(from, path)
    end = bytes
    snapshotEnd = snapshot
    torn = false
    generation++
    if (fsync) await syncDirectory()
  }

  /** A whole new file holding `records` (a snapshot), through a temp file. */
  const writeNewFile = async (records: Buffer[]) => {
    const file = await fs.open(temp, 'w')
    const bytes = Buffer.concat([magic, ...records])
    try {
      await writeAll(file, bytes, 0)
      if (fsync) await file.sync()
    } finally {
      await file.close()
    }
    await install(temp, bytes.length, bytes.length)
  }

  const append = async (record: Buffer) => {
    handle ??= await fs.open(path, 'r+')
    if (torn) {
      await handle.truncate(end)
      torn = false
    }
    try {
      await writeAll(handle, record, end)
      if (fsync) await handle.datasync()
    } catch (error) {
      torn = true
      throw error
    }
    end += record.length
  }

  const finishCompaction = async (job: CompactionJob, startedIn: number, snapshot: { bytes: number; docs: number }, before: ReturnType<Staleness['mark']>) => {
    if (closed || startedIn !== generation) return
    const { bytes } = snapshot
    // The records appended while the worker ran go after its snapshot, as they are.
    const tail = Buffer.allocUnsafe(end - job.upTo)
    handle ??= await fs.open(path, 'r+')
    if (tail.length > 0 && (await handle.read(tail, 0, tail.length, job.upTo)).bytesRead !== tail.length) throw new Error('the log is shorter than its records')
    const file = await fs.open(job.temp, 'r+')
    try {
      await writeAll(file, tail, bytes)
      if (fsync) await file.sync()
    } finally {
      await file.close()
    }
    await install(job.temp, bytes + tail.length, bytes)
    staleness.compacted(snapshot.docs, before)
  }

  let stopping = false
  const maybeCompact = () => {
    if (compacting || closed || rewrite || end < retryAt) return
    if (!compactWhen({ snapshotBytes: snapshotEnd - magic.length, logBytes: end - snapshotEnd, staleBytes: staleness.staleBytes(end - magic.length) })) return
    const job: CompactionJob = { path, upTo: end, temp: compactTemp, fsync }
    const startedIn = generation
    const before = staleness.mark()
    compacting = (async () => {
      const run = await startCompaction(job)
      running = run
      if (stopping) await run.stop()
      const snapshot = await run.done
      await inQueue(() => finishCompaction(job, startedIn, snapshot, before))
    })()
      .catch(() => {
        // Nothing is lost: the log stays as it was. Try again once it has grown as much again.
        retryAt = 2 * end
      })
      .finally(async () => {
        running = undefined
        await fs.rm(compactTemp, { force: true }).catch(() => {})
        compacting = undefined
      })
  }

  const stopCompaction = async () => {
    stopping = true
    await running?.stop()
    await compacting
    stopping = false
  }

  return {
    async load() {
      // A temp file is what a crash left before its rename: never part of the database.
      await Promise.all([temp, compactTemp].map((file) => fs.rm(file, { force: true })))
      let bytes: Buffer
      try {
        bytes = await fs.readFile(path)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' }
        throw error
      }
      if (bytes[0] === 0x7b) return loadLegacy(bytes)
      const log = readLog(bytes, crc)
      if ('problem' in log) return { kind: 'unreadable', error: new Error(log.problem) }
      end = log.end
      snapshotEnd = log.snapshotEnd
      staleness.loaded(log, log.database.collections.map(({ name, maxId }): [string, number] => [name, maxId]))
      torn = end < bytes.length
      rewrite = false
      return { kind: 'found', value: log.database }
    },

    save(take) {
      if (closed) return Promise.reject(new Error('the log file is closed'))
      const full = rewrite
      // Taken now, synchronously: the save holds the database as it is at this call (encoded now,
      // or copied now and encoded in slices in the queue: logEncode.ts).
      const changes = take(full)
      const records = prepareRecords(changes, (taken) => (full ? asSnapshot(taken) : [taken]), crc, yieldToEventLoop)
      const counted = staleness.tally(changes)
      return inQueue(async () => {
        const encoded = await records()
        if (full) await writeNewFile(encoded)
        else await append(encoded[0] as Buffer)
        counted()
        rewrite = false
        maybeCompact()
      })
    },

    async moveTo(aside) {
      await stopCompaction()
      await inQueue(async () => {
        await handle?.close()
        handle = undefined
        await fs.rename(path, aside).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error
        })
        rewrite = true
        generation++
      })
    },

    async close() {
      closed = true
      await stopCompaction()
      await inQueue(async () => {
        await handle?.close()
        handle = undefined
      })
    },
  }
}

/** Lets other work run (Node: after pending I/O callbacks). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A full change set as snapshot records (records of a bounded size, whatever the database's). */
function asSnapshot(changes: ChangeSet) {
  return snapshotRecords({ collections: changes.collections.map(({ name, maxId, put }) => ({ name, maxId, data: put })) }, DOCS_PER_RECORD)
}

/**
 * A database file of the layout before the log (one JSON document, LokiJS's own): its documents
 * are loaded as they are, and the next save rewrites the file as a log.
 */
function loadLegacy(bytes: Buffer): Loaded {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { collections?: unknown }
    // Its shape is checked when it is loaded into LokiJS (checkStoredSteps), like any stored database.
    const collections = Array.isArray(parsed?.collections) ? (parsed.collections as StoredCollection[]) : []
    return { kind: 'found', value: { collections: collections.map(({ name, maxId, data }) => ({ name, maxId: maxId ?? 0, data })) } }
  } catch (error) {
    return { kind: 'unreadable', error }
  }
}
