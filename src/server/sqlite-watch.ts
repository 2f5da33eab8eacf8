import type { Database } from 'better-sqlite3'
import type { TableChanges } from './types.js'

/** How often the clock is read for writes this process did not make (another process, plain SQL). */
const CLOCK_CHECK_MS = 250

/**
 * SQLite's side of live pokes, in-process: the source reports its own writes the moment they
 * commit (`wrote`), and a timer reads the version clock (one row) to notice any other write to the
 * file, which it reports as `'all'` since the clock does not say which table moved.
 */
export function sqliteWatcher(db: Database, clockTable: string) {
  const listeners = new Set<(tables: TableChanges) => void>()
  let seen: number | undefined
  let timer: ReturnType<typeof setInterval> | undefined
  const clock = () => {
    try {
      return (db.prepare(`SELECT v FROM "${clockTable}" WHERE id = 0`).pluck(true).get() as number | undefined) ?? 0
    } catch {
      return 0 // not installed yet, or the database is closed
    }
  }
  const tell = (tables: TableChanges) => {
    for (const listener of listeners) listener(tables)
  }
  return {
    /** After a write of this process committed. */
    wrote(table: string) {
      if (listeners.size === 0) return
      seen = clock()
      tell([{ table }])
    },
    watch(onChange: (tables: TableChanges) => void): () => Promise<void> {
      listeners.add(onChange)
      if (timer === undefined) {
        seen = clock()
        timer = setInterval(() => {
          if (!db.open) return
          const now = clock()
          if (now !== seen) {
            seen = now
            tell('all')
          }
        }, CLOCK_CHECK_MS)
        timer.unref?.()
      }
      return async () => {
        listeners.delete(onChange)
        if (listeners.size === 0 && timer !== undefined) {
          clearInterval(timer)
          timer = undefined
        }
      }
    },
    stop() {
      listeners.clear()
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
    },
  }
}
