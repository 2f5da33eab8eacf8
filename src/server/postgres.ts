import type { Pool, PoolClient } from 'pg'
import { createHash } from 'node:crypto'
import { loadDriver } from './drivers.js'
import { countStatement, heldBackStatement, pullStatement, rowJsonSql, seedStatements, writeStatement, type Statement } from './queries.js'
import { applyPostgresMutation } from './postgres-mutation.js'
import { installPostgresTables } from './postgres-install.js'
import { digestStatement, reachStatement, reachedVersion } from './digest.js'
import { boundedDigest } from './scan-budget.js'
import { busy } from './errors.js'
import { listenForChanges } from './postgres-notify.js'
import { MUTATIONS_TABLE } from './push-plan.js'
import { lit, q, type Dialect } from './sql.js'
import { memoizePrepare } from './tables.js'
import type { CollectionsConfig, ReplicaSource, ScanBudget } from './types.js'

/** Options of {@link postgresSource}. */
export interface PostgresSourceOptions {
  /**
   * A pg Pool to use (not closed by `close()`), or
   * @example postgresSource({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) })
   */
  pool?: Pool
  /**
   * a connection string to open a pool of our own (closed by `close()`).
   * @example postgresSource({ connectionString: 'postgres://postgres@127.0.0.1/test' })
   */
  connectionString?: string
  /**
   * Schema of the replicated tables and of the objects the install creates.
   * @default the connection's search_path
   * @example postgresSource({ pool, schema: 'app' })
   */
  schema?: string
}

/** Rows a digest reads per statement. */
const DIGEST_CHUNK = 2000

// json_build_object takes at most 100 arguments.
const PAIRS_PER_CALL = 50

export function postgresDialect(schema: string | undefined): Dialect {
  return {
    name: 'postgres',
    ph: (n) => `$${n}`,
    bind: (v) => (typeof v === 'bigint' ? v.toString() : v),
    table: (name) => (schema ? `${q(schema)}.${q(name)}` : q(name)),
    isDeleted: (col) => col,
    jsonObject(pairs) {
      const calls: string[] = []
      for (let i = 0; i < pairs.length; i += PAIRS_PER_CALL) {
        calls.push(`json_build_object(${pairs.slice(i, i + PAIRS_PER_CALL).map(([k, e]) => `${lit(k)}, ${e}`).join(', ')})`)
      }
      return calls.length === 1 ? `${calls[0]}::text` : `(${calls.map((c) => `${c}::jsonb`).join(' || ')})::text`
    },
    jsonTrue: 'true',
    // The horizon is taken in the same statement (same snapshot) as the rows it guards.
    readPrefix: 'WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS x) ',
    servable: (col) => `${col} < (SELECT x FROM h)`,
    horizon: '((SELECT x FROM h) - 1)',
  }
}

type Queryable = Pick<Pool, 'query'>

/**
 * PostgreSQL through pg: the path past one machine (any number of stateless handlers over one
 * database). See docs/server.md for how versions are assigned without missing slow transactions.
 *
 * (Long because it is a factory: its length is the short methods of the source it returns; the
 * install and the mutation's transaction are modules of their own.)
 *
 * @example
 * const source = postgresSource({ connectionString: process.env.DATABASE_URL, schema: 'public' })
 * const replica = createReplicaHandler({ source, collections, authorize })
 */
export function postgresSource(options: PostgresSourceOptions): ReplicaSource & { readonly pool: Pool } {
  if (!options.pool && !options.connectionString) throw new Error('redux-replica: postgresSource needs pool or connectionString')
  const owned = !options.pool
  const pool: Pool = options.pool ?? new (loadDriver('pg', 'postgresSource').Pool)({ connectionString: options.connectionString })
  const schema = options.schema
  const d = postgresDialect(schema)

  const run = async (st: Statement, via: Queryable = pool): Promise<unknown[][]> => {
    // Named (server-side prepared) only for small shapes, so long IN lists do not pile up plans.
    const name = st.params.length <= 32 ? `rr_${createHash('sha1').update(st.sql).digest('base64url').slice(0, 20)}` : undefined
    const r = await via.query({ text: st.sql, values: st.params, rowMode: 'array', ...(name ? { name } : {}) })
    return r.rows as unknown[][]
  }

  /**
   * A costly read under its budget: in a read-only transaction with `statement_timeout`, so
   * PostgreSQL itself stops it (57014, answered `503 busy`) instead of one caller holding a
   * connection and the CPU for as long as its scope is large.
   */
  const bounded = async <T>(budget: ScanBudget, work: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect()
    try {
      // One snapshot for every statement of the read (and so one version horizon).
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      await client.query(`SELECT set_config('statement_timeout', $1, true)`, [String(Math.max(1, Math.round(budget.timeoutMs)))])
      const out = await work(client)
      await client.query('COMMIT')
      return out
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      if (String((error as { code?: unknown }).code) === '57014') throw busy('the query ran out of time; try again later')
      throw error
    } finally {
      client.release()
    }
  }

  const prepare = memoizePrepare((collections: CollectionsConfig) => installPostgresTables(pool, d, schema, collections))

  return {
    dialect: 'postgres',
    pool,
    prepare,
    async pull(plan) {
      return (await run(pullStatement(d, plan))).map((r) => ({
        json: r[0] as string,
        v: Number(r[1]),
        id: r[2] as string | number,
      }))
    },
    async countAfter(plan, budget) {
      const rows = await bounded(budget, (client) => run(countStatement(d, plan, budget.maxRows), client))
      return Math.min(budget.maxRows, Number(rows[0]![0]))
    },
    async heldBack(plan) {
      return (await run(heldBackStatement(d, plan)))[0]![0] === true
    },
    async digest(plan, budget) {
      // Through a cursor, in chunks, within one snapshot: never a whole scope in memory, the plan
      // the digest's own query gets, and the event loop free between chunks (pg parses and we
      // hash each chunk synchronously).
      const st = digestStatement(d, plan)
      return bounded(budget, async (client) => {
        const version = reachedVersion(plan.upTo, (await run(reachStatement(d, plan), client))[0]!)
        await client.query(`DECLARE replica_digest NO SCROLL CURSOR FOR ${st.sql}`, st.params)
        const acc = boundedDigest(budget.maxRows)
        for (;;) {
          const { rows } = await client.query<unknown[]>({ text: `FETCH ${DIGEST_CHUNK} FROM replica_digest`, rowMode: 'array' })
          acc.add(rows)
          if (rows.length < DIGEST_CHUNK) return { ...acc.result(), version }
        }
      })
    },
    async seedPage(plan, budget) {
      const { page, count } = seedStatements(d, plan)
      const [rows, n] = await Promise.all([run(page), count ? bounded(budget, (client) => run(count, client)) : Promise.resolve(null)])
      const last = rows.at(-1)
      return {
        json: rows.map((r) => r[0] as string),
        last: last ? [last[1] as string, last[2] as string | number] : null,
        count: n ? Number(n[0]![0]) : null,
      }
    },
    async write(table, op, via) {
      const st = writeStatement(d, table, op)
      const sql = `WITH w AS (${st.sql} RETURNING *) ${rowJsonSql(d, table, 'w')}`
      const rows = await run({ sql, params: st.params }, (via as Queryable | undefined) ?? pool)
      return rows.length ? (JSON.parse(rows[0]![0] as string) as Record<string, unknown>) : null
    },
    applyMutation: (table, plan) => applyPostgresMutation({ pool, dialect: d, run }, table, plan),
    watch: (onChange, onError) => listenForChanges(pool, schema, onChange, onError),
    async pruneMutations(before, limit) {
      const M = d.table(MUTATIONS_TABLE)
      const r = await pool.query(`DELETE FROM ${M} WHERE id IN (SELECT id FROM ${M} WHERE at < $1 LIMIT $2)`, [before, limit])
      return r.rowCount ?? 0
    },
    async close() {
      if (owned) await pool.end()
    },
  }
}
