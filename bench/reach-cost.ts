/**
 * What the digest's reach look-up and the pull's heldBack look-up cost at 100k rows on PostgreSQL,
 * measured in the database (no HTTP, so a busy machine blurs it less): median of 300 runs each.
 * Run: npx tsx bench/reach-cost.ts
 */
import pg from 'pg'
import { exampleCollections, postgresSource, seedExampleDataPostgres, createReplicaHandler } from '../src/server/index.js'
import { postgresDialect } from '../src/server/postgres.js'
import { heldBackStatement } from '../src/server/queries.js'
import { reachStatement } from '../src/server/digest.js'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 2 })
const schema = `reach_${process.pid}`
await pool.query(`CREATE SCHEMA "${schema}"`)
try {
  await seedExampleDataPostgres(pool, schema, { projects: 3, contacts: 300, notes: 100_000 })
  const source = postgresSource({ pool, schema })
  const tables = await source.prepare(exampleCollections)
  await createReplicaHandler({ source, collections: exampleCollections, authorize: () => ({}), cursorSecret: 'bench-secret-0123456789abcdef' }).ready()
  for (let i = 0; i < 30; i++) await pool.query(`UPDATE "${schema}".notes SET body = body || '!' WHERE id % 1000 = $1`, [i])
  await pool.query(`UPDATE "${schema}".notes SET project_id = 2 WHERE id % 997 = 0 AND project_id = 1`)
  await pool.query(`DELETE FROM "${schema}".notes WHERE id % 991 = 0`)
  await pool.query(`VACUUM ANALYZE "${schema}".notes`)
  await pool.query(`VACUUM ANALYZE "${schema}".notes__replica_log`)
  const table = tables.get('note')!
  const d = postgresDialect(schema)
  const [{ v, id }] = (await pool.query(`SELECT _version::text AS v, id FROM "${schema}".notes ORDER BY _version DESC, id DESC LIMIT 1`)).rows
  const at = { v: Number(v), id: Number(id) }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const time = async (st: { sql: string; params: unknown[] }) => {
    const ms: number[] = []
    for (let i = 0; i < 330; i++) {
      const t = performance.now()
      await pool.query({ text: st.sql, values: st.params, rowMode: 'array', name: `b${st.sql.length}` })
      if (i >= 30) ms.push(performance.now() - t)
    }
    return +median(ms).toFixed(3)
  }
  for (const clauses of [[], [{ field: 'project_id', values: [1] }], [{ field: 'project_id', values: [1] }, { field: 'contact_id', values: [4] }]]) {
    const heldBack = await time(heldBackStatement(d, { table, clauses, after: at, limit: 1 }))
    const reach = await time(reachStatement(d, { table, clauses, upTo: at }))
    const trivial = await time({ sql: 'SELECT 1', params: [] })
    console.log(JSON.stringify({ clauses: clauses.map((c) => c.field), roundTripMs: trivial, heldBackMs: heldBack, reachMs: reach }))
  }
} finally {
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
  await pool.end()
}
