import type { Pool, PoolClient } from 'pg'
import { installPostgresSql } from './postgres-schema.js'
import { MUTATIONS_TABLE } from './push-plan.js'
import { q, type Dialect } from './sql.js'
import { resolveTable } from './tables.js'
import type { CollectionsConfig, TableInfo } from './types.js'

/**
 * Installs what the source needs in the database (version columns, log tables, triggers, the
 * mutation record), in one transaction under an advisory lock, and returns each collection's table.
 */
export async function installPostgresTables(pool: Pool, d: Dialect, schema: string | undefined, collections: CollectionsConfig): Promise<Map<string, TableInfo>> {
  const client: PoolClient = await pool.connect()
  const tables = new Map<string, TableInfo>()
  try {
    await client.query('BEGIN')
    // Two processes installing at once would trip over each other's DROP/CREATE TRIGGER.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`redux-replica install ${schema ?? ''}`])
    for (const [name, config] of Object.entries(collections)) {
      const table = config.table ?? name
      const cols = await client.query<{ name: string; type: string }>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
         WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [d.table(table)],
      )
      const info = resolveTable(name, config, cols.rows, 'postgres')
      for (const sql of installPostgresSql(d, info, schema)) await client.query(sql)
      tables.set(name, { ...info, allColumns: new Set([...info.allColumns, '_version', '_deleted']) })
    }
    // Pushed mutation ids and their answers (the push endpoint's idempotency record).
    await client.query(`CREATE TABLE IF NOT EXISTS ${d.table(MUTATIONS_TABLE)} (id text PRIMARY KEY, fingerprint text NOT NULL, result text, at timestamptz NOT NULL DEFAULT now())`)
    await client.query(`CREATE INDEX IF NOT EXISTS ${q(`${MUTATIONS_TABLE}_at`)} ON ${d.table(MUTATIONS_TABLE)} (at)`)
    await client.query('COMMIT')
    return tables
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {})
    throw e
  } finally {
    client.release()
  }
}
