import { DELETED_COL, LOG_SUFFIX, Params, VERSION_COL, clausesSql, lit, newCol, oldCol, q, type Dialect } from './sql.js'
import type { Clause, PullPlan, SeedPlan, TableInfo } from './types.js'

/**
 * The read statements, built once per request shape from configuration and bound values.
 * The database renders each row as JSON text, so the handler only joins strings: no row objects
 * are built in JavaScript, and `_deleted` never leaks onto a live row.
 */

export interface Statement {
  sql: string
  params: unknown[]
}

const and = (parts: Array<string | null>) => {
  const kept = parts.filter((p): p is string => p !== null)
  return kept.length ? ` WHERE ${kept.join(' AND ')}` : ''
}

function dataJson(d: Dialect, t: TableInfo, alias = ''): string {
  const pairs = t.columns.map((c) => [c, alias + q(c)] as const)
  return d.jsonObject([...pairs, [VERSION_COL, alias + q(VERSION_COL)]])
}

function tombstoneJson(d: Dialect, t: TableInfo): string {
  return d.jsonObject([
    [t.primaryKey, q(t.primaryKey)],
    [VERSION_COL, q(VERSION_COL)],
    [DELETED_COL, d.jsonTrue],
  ])
}

function afterSql(plan: PullPlan, pk: string, params: Params): string | null {
  if (!plan.after) return null
  return `(${q(VERSION_COL)}, ${pk}) > (${params.add(plan.after.v)}, ${params.add(plan.after.id)})`
}

/**
 * The two branches of a pull: live and soft-deleted rows of the table, and log entries (hard
 * deletes, move-outs) that are tombstones for this filter. `params` may be shared (one statement)
 * or separate (two statements).
 */
function rowsWhere(d: Dialect, plan: PullPlan, params: Params): string {
  const pk = q(plan.table.primaryKey)
  return and([clausesSql(plan.clauses, q, params), afterSql(plan, pk, params), d.servable(q(VERSION_COL))])
}

function logWhere(d: Dialect, plan: PullPlan, params: Params): string {
  const pk = q(plan.table.primaryKey)
  // A log entry is a tombstone for this subscription when the row matched the filter before the
  // change and does not after it (or is gone). `IS NOT TRUE` also covers NULL comparisons.
  const oldMatch = clausesSql(plan.clauses, (f) => q(oldCol(f)), params)
  const newMatch = clausesSql(plan.clauses, (f) => q(newCol(f)), params)
  const leaves = newMatch === null ? `${q('gone')} <> 0` : `(${q('gone')} <> 0 OR (${newMatch}) IS NOT TRUE)`
  return and([oldMatch, leaves, afterSql(plan, pk, params), d.servable(q(VERSION_COL))])
}

function rowsSelect(d: Dialect, plan: PullPlan, params: Params, n: string): string {
  const t = plan.table
  const pk = q(t.primaryKey)
  const v = q(VERSION_COL)
  return (
    `SELECT CASE WHEN ${d.isDeleted(q(DELETED_COL))} THEN ${tombstoneJson(d, t)} ELSE ${dataJson(d, t)} END AS j, ` +
    `${v} AS v, ${pk} AS k FROM ${d.table(t.table)}${rowsWhere(d, plan, params)} ORDER BY ${v}, ${pk} LIMIT ${n}`
  )
}

function logSelect(d: Dialect, plan: PullPlan, params: Params, n: string): string {
  const t = plan.table
  const pk = q(t.primaryKey)
  const v = q(VERSION_COL)
  return (
    `SELECT ${tombstoneJson(d, t)} AS j, ${v} AS v, ${pk} AS k ` +
    `FROM ${d.table(t.table + LOG_SUFFIX)}${logWhere(d, plan, params)} ORDER BY ${v}, ${pk} LIMIT ${n}`
  )
}

/** The pull as one statement (one snapshot): both branches merged by the database. */
export function pullStatement(d: Dialect, plan: PullPlan): Statement {
  const params = new Params(d)
  const n = params.add(plan.limit + 1)
  const sql =
    `${d.readPrefix}SELECT j, v, k FROM (SELECT * FROM (${rowsSelect(d, plan, params, n)}) a ` +
    `UNION ALL SELECT * FROM (${logSelect(d, plan, params, n)}) b) u ORDER BY v, k LIMIT ${n}`
  return { sql, params: params.values }
}

/**
 * The pull as two statements, for a caller that runs them in one read transaction and merges.
 * SQLite sorts a UNION through a temporary b-tree, which costs more than the query itself.
 */
export function pullStatements(d: Dialect, plan: PullPlan): { rows: Statement; log: Statement } {
  const p1 = new Params(d)
  const rows = rowsSelect(d, plan, p1, p1.add(plan.limit + 1))
  const p2 = new Params(d)
  const log = logSelect(d, plan, p2, p2.add(plan.limit + 1))
  return { rows: { sql: d.readPrefix + rows, params: p1.values }, log: { sql: d.readPrefix + log, params: p2.values } }
}

/**
 * Rows and log entries after the cursor, each branch counted up to `cap` rows: a count reads every
 * row it counts, so the cap bounds what one request can make the database scan.
 */
export function countStatement(d: Dialect, plan: PullPlan, cap: number): Statement {
  const t = plan.table
  const params = new Params(d)
  const sql =
    `${d.readPrefix}SELECT (SELECT count(*) FROM (SELECT 1 FROM ${d.table(t.table)}${rowsWhere(d, plan, params)} LIMIT ${params.add(cap)}) a) + ` +
    `(SELECT count(*) FROM (SELECT 1 FROM ${d.table(t.table + LOG_SUFFIX)}${logWhere(d, plan, params)} LIMIT ${params.add(cap)}) b) AS n`
  return { sql, params: params.values }
}

/**
 * The version of the first change of the scope after `plan.after` in each branch (live and
 * soft-deleted rows, log entries), NULL where there is none: the pull's branches without the
 * horizon bound, so committed changes the horizon holds back count too. In index order: an EXISTS
 * is planned as a scan that may read the whole table when (as is usual) nothing matches.
 */
export function firstChangeSql(d: Dialect, plan: PullPlan, params: Params): { rows: string; log: string } {
  const t = plan.table
  const everything: Dialect = { ...d, servable: () => null }
  const order = `ORDER BY ${q(VERSION_COL)}, ${q(t.primaryKey)} LIMIT 1`
  return {
    rows: `(SELECT ${q(VERSION_COL)} FROM ${d.table(t.table)}${rowsWhere(everything, plan, params)} ${order})`,
    log: `(SELECT ${q(VERSION_COL)} FROM ${d.table(t.table + LOG_SUFFIX)}${logWhere(everything, plan, params)} ${order})`,
  }
}

/**
 * Whether the scope has changes after `plan.after` that a pull did not serve. Run after a pull
 * that reached the end, in a later snapshot; changes after a cursor never disappear (every later
 * write has a larger version), so "none" holds for the pull's snapshot too.
 */
export function heldBackStatement(d: Dialect, plan: PullPlan): Statement {
  const params = new Params(d)
  const first = firstChangeSql(d, plan, params)
  return { sql: `SELECT ${first.rows} IS NOT NULL OR ${first.log} IS NOT NULL AS held`, params: params.values }
}

/** The 2015 endpoints: live rows ordered `updated_at asc, id asc`, without our bookkeeping columns. */
export function seedStatements(d: Dialect, plan: SeedPlan): { page: Statement; count: Statement | null } {
  const t = plan.table
  const ua = q(t.updatedAt!)
  const pk = q(t.primaryKey)
  const where = (params: Params) =>
    and([
      clausesSql(plan.clauses, q, params),
      `NOT (${d.isDeleted(q(DELETED_COL))})`,
      plan.after ? `(${ua}, ${pk}) > (${params.add(plan.after[0])}, ${params.add(plan.after[1])})` : null,
    ])
  const p1 = new Params(d)
  const w1 = where(p1)
  const json = d.jsonObject(t.columns.map((c) => [c, q(c)] as const))
  const page: Statement = {
    sql: `SELECT ${json} AS j, ${ua} AS u, ${pk} AS k FROM ${d.table(t.table)}${w1} ORDER BY ${ua}, ${pk} LIMIT ${p1.add(plan.limit)}`,
    params: p1.values,
  }
  if (!plan.count) return { page, count: null }
  const p2 = new Params(d)
  const w2 = where(p2)
  return { page, count: { sql: `SELECT count(*) AS n FROM (SELECT 1 FROM ${d.table(t.table)}${w2} LIMIT ${p2.add(plan.countCap)}) c`, params: p2.values } }
}

/** Exported for the sources' JSON builders. */
export { lit }

const wireJson = (d: Dialect, t: TableInfo) => `CASE WHEN ${d.isDeleted(q(DELETED_COL))} THEN ${tombstoneJson(d, t)} ELSE ${dataJson(d, t)} END`

/** A row as the pull would send it, read back after a write. */
export function rowJsonSql(d: Dialect, t: TableInfo, from: string): string {
  return `SELECT ${wireJson(d, t)} AS j FROM ${from}`
}

/** 1 when the clauses hold (a scope: compared by the database, exactly as every read compares it), else 0. */
const matchSql = (scope: readonly Clause[], params: Params) => `CASE WHEN ${clausesSql(scope, q, params) ?? '1 = 1'} THEN 1 ELSE 0 END`

/**
 * The row a pushed mutation finds: `[wire JSON, _version, deleted 0/1, in scope 0/1]`. No value of
 * the row reaches JavaScript except as the pull would send it, so nothing is compared through a
 * lossy number. `lock` adds `FOR UPDATE` (PostgreSQL).
 */
export function currentRowStatement(d: Dialect, t: TableInfo, key: string | number, scope: readonly Clause[], lock: boolean): Statement {
  const params = new Params(d)
  const k = params.add(key)
  const sql =
    `SELECT ${wireJson(d, t)} AS j, ${q(VERSION_COL)} AS v, CASE WHEN ${d.isDeleted(q(DELETED_COL))} THEN 1 ELSE 0 END AS deleted, ` +
    `${matchSql(scope, params)} AS in_scope FROM ${d.table(t.table)} WHERE ${q(t.primaryKey)} = ${k}${lock ? ' FOR UPDATE' : ''}`
  return { sql, params: params.values }
}

/** Whether the row with `key` matches the scope now (after a write): one row of 0/1, or none. */
export function inScopeStatement(d: Dialect, t: TableInfo, key: string | number, scope: readonly Clause[]): Statement {
  const params = new Params(d)
  const k = params.add(key)
  return { sql: `SELECT ${matchSql(scope, params)} FROM ${d.table(t.table)} WHERE ${q(t.primaryKey)} = ${k}`, params: params.values }
}

/** The DML of one write; versions, move-outs and tombstones are the triggers' business. */
export function writeStatement(
  d: Dialect,
  t: TableInfo,
  op: import('./types.js').WriteOp,
): Statement & { key: string | number | null } {
  const params = new Params(d)
  const T = d.table(t.table)
  const pk = q(t.primaryKey)
  switch (op.kind) {
    case 'insert': {
      const cols = Object.keys(op.row)
      const values = cols.map((c) => params.add(op.row[c]!))
      const key = op.row[t.primaryKey]
      return {
        sql: `INSERT INTO ${T} (${cols.map(q).join(', ')}) VALUES (${values.join(', ')})`,
        params: params.values,
        key: typeof key === 'string' || typeof key === 'number' ? key : null,
      }
    }
    case 'update': {
      const cols = Object.keys(op.patch)
      // An empty patch still touches the row, which gives it a new version.
      const sets = cols.length ? cols.map((c) => `${q(c)} = ${params.add(op.patch[c]!)}`) : [`${pk} = ${pk}`]
      return { sql: `UPDATE ${T} SET ${sets.join(', ')} WHERE ${pk} = ${params.add(op.id)}`, params: params.values, key: op.id }
    }
    case 'remove': {
      const sets = [`${q(DELETED_COL)} = ${params.add(true)}`]
      for (const [c, v] of Object.entries(op.stamp ?? {})) sets.push(`${q(c)} = ${params.add(v)}`)
      return {
        sql: `UPDATE ${T} SET ${sets.join(', ')} WHERE ${pk} = ${params.add(op.id)} AND NOT (${d.isDeleted(q(DELETED_COL))})`,
        params: params.values,
        key: op.id,
      }
    }
  }
}
