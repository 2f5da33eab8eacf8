import type { Database, Statement as SqliteStatement } from 'better-sqlite3'
import type { JsonPrimitive } from '../core/protocol.js'
import { loadDriver } from './drivers.js'
import { countStatement, pullStatements, rowJsonSql, seedStatements, writeStatement, type Statement } from './queries.js'
import { applySqliteMutation } from './sqlite-mutation.js'
import { digestStatement, reachStatement, reachedVersion } from './digest.js'
import { chunkedDigest } from './sqlite-scan.js'
import { CLOCK, clockValue, installSqlite } from './sqlite-schema.js'
import { sqliteWatcher } from './sqlite-watch.js'
import { MUTATIONS_TABLE } from './push-plan.js'
import type { WriteOp } from './types.js'
import { q, lit, type Dialect } from './sql.js'
import { memoizePrepare, resolveTable } from './tables.js'
import type { CollectionsConfig, ReplicaSource, TableInfo } from './types.js'

/** Options of {@link sqliteSource}. */
export interface SqliteSourceOptions {
  /**
   * An open better-sqlite3 database, or a file path to open (then the source owns it: it turns on
   * WAL mode and closes it in `close()`).
   * @example sqliteSource({ db: './data/replica.db' })
   * @example sqliteSource({ db: new Database(':memory:') })
   */
  db: Database | string
  /**
   * Prepared statements kept per source (one per distinct query shape, e.g. per IN-list length).
   * @default 256
   * @example sqliteSource({ db, statementCache: 1024 })
   */
  statementCache?: number
}

// SQLite has no 127-argument limit worth worrying about in recent versions, but json_patch keeps
// very wide tables working on builds with a low SQLITE_MAX_FUNCTION_ARG.
const PAIRS_PER_CALL = 50

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  ph: (n) => `@p${n}`,
  bind: (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v),
  table: (name) => q(name),
  isDeleted: (col) => `${col} <> 0`,
  jsonObject(pairs) {
    const calls: string[] = []
    for (let i = 0; i < pairs.length; i += PAIRS_PER_CALL) {
      calls.push(`json_object(${pairs.slice(i, i + PAIRS_PER_CALL).map(([k, e]) => `${lit(k)}, ${e}`).join(', ')})`)
    }
    return calls.reduce((a, b) => `json_patch(${a}, ${b})`)
  },
  jsonTrue: `json('true')`,
  readPrefix: '',
  servable: () => null,
  horizon: clockValue,
}

/** SQLite's order of keys: numbers before text, numbers by value, text by bytes (BINARY collation). */
function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'number') return -1
  if (typeof b === 'number') return 1
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

const named = (values: unknown[]) => {
  const o: Record<string, unknown> = {}
  values.forEach((v, i) => (o[`p${i + 1}`] = v))
  return o
}

/**
 * The embedded default source: SQLite through better-sqlite3 (synchronous, so every read is one
 * consistent snapshot without an explicit transaction).
 *
 * (Long because it is a factory: its length is the short methods of the source it returns; the
 * mutation's transaction is a module of its own.)
 *
 * @example
 * import { createReplicaHandler, sqliteSource } from 'redux-replica/server'
 * const source = sqliteSource({ db: './data/app.db' })
 * const replica = createReplicaHandler({ source, collections, authorize: () => ({}) })
 */
export function sqliteSource(options: SqliteSourceOptions): ReplicaSource & { readonly db: Database } {
  const owned = typeof options.db === 'string'
  const db: Database = typeof options.db === 'string' ? new (loadDriver('better-sqlite3', 'sqliteSource'))(options.db) : options.db
  if (owned) db.pragma('journal_mode = WAL')
  const cacheSize = options.statementCache ?? 256
  const cache = new Map<string, SqliteStatement>()

  const prepared = (sql: string): SqliteStatement => {
    let s = cache.get(sql)
    if (!s) {
      s = db.prepare(sql)
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!)
      cache.set(sql, s)
    }
    return s
  }
  const watcher = sqliteWatcher(db, CLOCK)
  const rows = (st: Statement) => prepared(st.sql).raw(true).all(named(st.params)) as unknown[][]
  /** One write and the row read back as a pull would send it; the caller holds the transaction. */
  const writeNow = (table: TableInfo, op: WriteOp): Record<string, unknown> | null => {
    const st = writeStatement(sqliteDialect, table, op)
    const info = prepared(st.sql).run(named(st.params))
    if (info.changes === 0) return null
    const key: JsonPrimitive = st.key ?? Number(info.lastInsertRowid)
    const back = prepared(`${rowJsonSql(sqliteDialect, table, q(table.table))} WHERE ${q(table.primaryKey)} = @p1`)
    const j = back.pluck(true).get({ p1: key }) as string | undefined
    return j === undefined ? null : (JSON.parse(j) as Record<string, unknown>)
  }

  const prepare = memoizePrepare(async (collections: CollectionsConfig) => {
    const tables = new Map<string, TableInfo>()
    db.transaction(() => {
      for (const [name, config] of Object.entries(collections)) {
        const table = config.table ?? name
        const cols = db.prepare(`PRAGMA table_info(${q(table)})`).all() as Array<{ name: string; type: string; pk: number }>
        const info = resolveTable(name, config, cols, 'sqlite')
        installSqlite(db, info, cols.find((c) => c.name === info.primaryKey)?.type ?? '')
        tables.set(name, { ...info, allColumns: new Set([...info.allColumns, '_version', '_deleted']) })
      }
      // Pushed mutation ids and their answers (the push endpoint's idempotency record).
      db.exec(`CREATE TABLE IF NOT EXISTS ${q(MUTATIONS_TABLE)} (id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, result TEXT NOT NULL, at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ${q(`${MUTATIONS_TABLE}_at`)} ON ${q(MUTATIONS_TABLE)} (at)`)
    })()
    cache.clear()
    return tables
  })

  return {
    dialect: 'sqlite',
    db,
    prepare,
    async pull(plan) {
      const st = pullStatements(sqliteDialect, plan)
      // One read transaction: both branches see the same snapshot.
      const [live, log] = db.transaction(() => [rows(st.rows), rows(st.log)] as const)()
      const out = live.map((r) => ({ json: r[0] as string, v: r[1] as number, id: r[2] as string | number }))
      if (log.length === 0) return out
      // Merge in SQLite's (version, id) order. Entries share a version only when one write made
      // them (a row and its own log entry, or a primary-key change: old key's tombstone, new row).
      for (const r of log) out.push({ json: r[0] as string, v: r[1] as number, id: r[2] as string | number })
      out.sort((a, b) => a.v - b.v || compareKeys(a.id, b.id))
      out.length = Math.min(out.length, plan.limit + 1)
      return out
    },
    async countAfter(plan, budget) {
      return Math.min(budget.maxRows, rows(countStatement(sqliteDialect, plan, budget.maxRows))[0]![0] as number)
    },
    // One writer at a time, and readers see every committed write: nothing is ever held back.
    heldBack: async () => false,
    async digest(plan, budget) {
      const reach = () => reachedVersion(plan.upTo, rows(reachStatement(sqliteDialect, plan))[0]!)
      return chunkedDigest(db, prepared, plan.table, digestStatement(sqliteDialect, plan), budget, reach)
    },
    async seedPage(plan) {
      const { page, count } = seedStatements(sqliteDialect, plan)
      // One read transaction so the page and its count describe the same state.
      return db.transaction(() => {
        const r = rows(page)
        const last = r.at(-1)
        return {
          json: r.map((x) => x[0] as string),
          last: last ? [last[1] as string, last[2] as string | number] as [string, string | number] : null,
          count: count ? (rows(count)[0]![0] as number) : null,
        }
      })()
    },
    async write(table, op) {
      const written = db.transaction(() => writeNow(table, op))()
      if (written) watcher.wrote(table.table)
      return written
    },
    watch: (onChange) => watcher.watch(onChange),
    async applyMutation(table, plan) {
      const result = await applySqliteMutation({ db, dialect: sqliteDialect, prepared, rows, writeNow }, table, plan)
      if (result.status === 'applied') watcher.wrote(table.table)
      return result
    },
    async pruneMutations(before, limit) {
      const M = q(MUTATIONS_TABLE)
      return prepared(`DELETE FROM ${M} WHERE rowid IN (SELECT rowid FROM ${M} WHERE at < @p1 LIMIT @p2)`).run({ p1: before.toISOString(), p2: limit }).changes
    },
    async close() {
      watcher.stop()
      cache.clear()
      if (owned) db.close()
    },
  }
}
