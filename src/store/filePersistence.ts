import { openLogFile } from './logFile'
import type { LogSizes } from './logFile'
import type { Persistence, StorageConnection } from './persistence'
import { setAsideName } from './persistence'

export type { LogSizes } from './logFile'

export interface FilePersistenceOptions {
  /**
   * Flush each save to the disk (`fdatasync` of the appended record; for a new or compacted file,
   * `fsync` of the file and of its directory around the rename) before it counts as done. Default
   * `true`: without it a power cut can lose saves that were reported done. Turning it off only
   * trades that guarantee for speed; a killed process loses nothing either way.
   * @example filePersistence('./replica.db', { fsync: false }) // a cache you can rebuild
   */
  fsync?: boolean
  /**
   * When to compact: asked after each save while no compaction runs, with the sizes of the
   * snapshot, of the records appended since, and of what later records replaced or removed.
   * Default: once the replaced part passes half of the rest (and 1 MiB), so the file stays under
   * about 1.5 times the database (plus 1 MiB), and a log that only grew (an initial sync) is
   * never rewritten for nothing.
   * @example filePersistence('./replica.db', { compactWhen: ({ logBytes, snapshotBytes }) => logBytes > snapshotBytes })
   */
  compactWhen?(sizes: LogSizes): boolean
}

/** The default of `compactWhen`. */
export const compactAtHalf = ({ snapshotBytes, logBytes, staleBytes }: LogSizes): boolean =>
  staleBytes > Math.max((snapshotBytes + logBytes - staleBytes) / 2, 1 << 20)

/**
 * Keeps the database in one file (Node): an append-only log. Each save appends one record holding
 * what changed since the last save (a page's rows with its cursor, outbox entries, removals) and
 * syncs it, so a save costs what changed, not what is held. A worker thread compacts the log into
 * a snapshot in the background. A process killed at any moment loses at most the save it was
 * writing: the next start drops a torn last record and resumes from the save before it. See
 * docs/persistence.md for the format. `node:fs` and the worker load only when the replica
 * connects, so browser bundles never see them.
 *
 * A file written by earlier versions (one JSON document) is read as it is and rewritten as a log
 * at the first save.
 *
 * @example
 * createReplica({ collections, transport, persistence: filePersistence('./data/replica.db') })
 */
export function filePersistence(path: string, options: FilePersistenceOptions = {}): Persistence {
  return {
    name: path,
    async connect(): Promise<StorageConnection> {
      const fs = await import('node:fs/promises')
      const log = await openLogFile({ path, fsync: options.fsync ?? true, compactWhen: options.compactWhen ?? compactAtHalf })
      return {
        load: () => log.load(),
        save: (take) => log.save(take),
        async setAside(reason) {
          let aside = setAsideName(path, reason)
          // rename() would replace an existing file silently.
          while (await fs.access(aside).then(() => true, () => false)) aside += '~'
          await log.moveTo(aside)
          return aside
        },
        close: () => log.close(),
      }
    },
  }
}
