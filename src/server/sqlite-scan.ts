import type { Database, Statement as SqliteStatement } from 'better-sqlite3'
import type { Digest } from '../core/digestHash.js'
import { busy } from './errors.js'
import { boundedDigest } from './scan-budget.js'
import { LOG_SUFFIX, VERSION_COL, q } from './sql.js'
import { clockValue } from './sqlite-schema.js'
import type { Statement } from './queries.js'
import type { ScanBudget, TableInfo } from './types.js'

/**
 * A SQLite digest without blocking the event loop: better-sqlite3 is synchronous, so one digest
 * over 150,000 rows would hold every other request for its whole run. It reads the digest's rows
 * in `(_version, key)` order, `CHUNK` at a time, and yields between chunks.
 *
 * The chunks are separate reads, so a write between two of them could make the result a mix of
 * two states. Every write takes a version above the clock read at the start, so if the table
 * and its log hold no version above it at the end, nothing changed meanwhile and the result is the
 * one snapshot's. Otherwise it starts again, a few times, then answers `503 busy`. `reach` (the
 * digest's `version`) is read with the first chunk, in one read transaction.
 */
const CHUNK = 2000
const ATTEMPTS = 3

const named = (values: unknown[], extra: Record<string, unknown> = {}) => {
  const o: Record<string, unknown> = { ...extra }
  values.forEach((v, i) => (o[`p${i + 1}`] = v))
  return o
}
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

export async function chunkedDigest(
  db: Database,
  prepared: (sql: string) => SqliteStatement,
  table: TableInfo,
  st: Statement,
  budget: ScanBudget,
  reach: () => number,
): Promise<Digest & { version: number }> {
  const deadline = Date.now() + budget.timeoutMs
  const first = prepared(`SELECT k, v FROM (${st.sql}) ORDER BY v, k LIMIT @chunk`).raw(true)
  const next = prepared(`SELECT k, v FROM (${st.sql}) WHERE (v, k) > (@after_v, @after_k) ORDER BY v, k LIMIT @chunk`).raw(true)
  const clock = prepared(`SELECT ${clockValue}`).pluck(true)
  const V = q(VERSION_COL)
  const changed = prepared(
    `SELECT EXISTS (SELECT 1 FROM ${q(table.table)} WHERE ${V} > @since) OR EXISTS (SELECT 1 FROM ${q(table.table + LOG_SUFFIX)} WHERE ${V} > @since)`,
  ).pluck(true)

  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // The clock, the reach and the first chunk in one read transaction: one snapshot.
    const start = db.transaction(() => ({ since: clock.get() as number, version: reach(), rows: first.all(named(st.params, { chunk: CHUNK })) as unknown[][] }))()
    const { since, version } = start
    let rows = start.rows
    const acc = boundedDigest(budget.maxRows)
    let chunks = 1
    for (;;) {
      acc.add(rows)
      if (rows.length < CHUNK) break
      await tick()
      if (Date.now() > deadline) throw busy('the digest ran out of time; try again later')
      const last = rows.at(-1)!
      rows = next.all(named(st.params, { chunk: CHUNK, after_v: last[1], after_k: last[0] })) as unknown[][]
      chunks++
    }
    // One chunk was read in one snapshot with the reach.
    if (chunks === 1 || !changed.get({ since })) return { ...acc.result(), version }
  }
  throw busy('the data changed while the digest was read; try again later')
}
