import type { Persistence, StorageConnection } from './persistence'
import { setAsideName } from './persistence'

export interface FilePersistenceOptions {
  /**
   * Flush each save to the disk (`fsync` of the file, then of its directory) before it counts as
   * done. Default `true`: without it a power cut can leave an empty or older file behind the rename.
   * Turning it off only trades that guarantee for speed; a killed process loses nothing either way.
   * @example filePersistence('./replica.db', { fsync: false }) // a cache you can rebuild
   */
  fsync?: boolean
}

/**
 * Keeps the database in one JSON file (Node). Each save writes `<path>.tmp`, flushes it to the disk
 * and renames it over `<path>`, so the file on disk is always one whole save: a process killed
 * mid-save leaves the previous one. (LokiJS's own `LokiFsAdapter` renames too, but never fsyncs.)
 * `node:fs` is imported only when the replica connects, so browser bundles never see it.
 *
 * @example
 * createReplica({ collections, transport, persistence: filePersistence('./data/replica.db') })
 *
 * Long (about 65 lines) because it is a factory: the adapter object it returns is a few short
 * methods over one shared file path and save state.
 */
export function filePersistence(path: string, options: FilePersistenceOptions = {}): Persistence {
  const fsync = options.fsync ?? true
  return {
    name: path,
    async connect(): Promise<StorageConnection> {
      const fs = await import('node:fs/promises')
      const { dirname } = await import('node:path')
      const temp = `${path}.tmp`

      async function write(serialized: string): Promise<void> {
        const file = await fs.open(temp, 'w')
        try {
          await file.writeFile(serialized, 'utf8')
          if (fsync) await file.sync()
        } finally {
          await file.close()
        }
        await fs.rename(temp, path)
        if (fsync) await syncDirectory(dirname(path))
      }

      async function syncDirectory(directory: string): Promise<void> {
        // Makes the rename itself durable. Some platforms cannot open a directory: the file's own
        // fsync already happened, so that is as good as they get.
        const handle = await fs.open(directory, 'r').catch(() => undefined)
        try {
          await handle?.sync().catch(() => {})
        } finally {
          await handle?.close()
        }
      }

      const read = (): Promise<string | null> =>
        fs.readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return null
          throw error
        })

      const adapter: LokiPersistenceAdapter = {
        loadDatabase(_dbname, callback) {
          read().then(callback, callback)
        },
        saveDatabase(_dbname, serialized: string, callback) {
          write(serialized).then(() => callback(null), (error: Error) => callback(error))
        },
      }

      return {
        adapter,
        async load() {
          // Any bytes at all are handed to Loki; whether they parse is the local store's question.
          const serialized = await read()
          return serialized === null ? { kind: 'none' } : { kind: 'found', value: serialized }
        },
        async setAside(reason) {
          let aside = setAsideName(path, reason)
          // rename() would replace an existing file silently.
          while (await fs.access(aside).then(() => true, () => false)) aside += '~'
          await fs.rename(path, aside)
          return aside
        },
        close: async () => {},
      }
    },
  }
}
