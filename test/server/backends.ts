import Database from 'better-sqlite3'
import { createReplicaHandler, postgresSource, sqliteSource, type ReplicaHandler, type ReplicaHandlerOptions, type ReplicaSource } from '../../src/server/index.js'
import { SECRET, get, pgSchema, pgSettled, serve } from './helpers.js'

/**
 * One schema on either database, for tests that must hold on both: SQL is written once with
 * `$S.` before each table name and `BIGINT`/`INT4` types, which both databases read (SQLite keeps
 * 64-bit integers whatever the declared type; PostgreSQL's int4 is 32-bit).
 */
export type BackendName = 'sqlite' | 'postgres'
export const BACKENDS: BackendName[] = ['sqlite', 'postgres']

export interface Backend {
  name: BackendName
  source: ReplicaSource
  /** Run SQL (`$S.` is the schema prefix, `?` placeholders) and return rows. */
  sql(text: string, values?: unknown[]): Promise<Array<Record<string, unknown>>>
  /** A handler over this backend, served on loopback. */
  serve(options: Omit<ReplicaHandlerOptions, 'source'> & { source?: ReplicaSource }): Promise<{ handler: ReplicaHandler; base: string }>
  /** Wait until every row written so far may be served (PostgreSQL: see `pgSettled`). */
  settle(): Promise<void>
  close(): Promise<void>
}

export async function openBackend(name: BackendName, setup: string[]): Promise<Backend> {
  const closers: Array<() => Promise<void>> = []
  let source: ReplicaSource
  let sql: Backend['sql']
  if (name === 'sqlite') {
    const db = new Database(':memory:')
    source = sqliteSource({ db })
    sql = async (text, values = []) => {
      const st = db.prepare(text.replaceAll('$S.', ''))
      if (st.reader) return st.safeIntegers(true).all(...values) as Array<Record<string, unknown>>
      st.run(...values)
      return []
    }
    closers.push(async () => {
      db.close()
    })
  } else {
    const pg = await pgSchema('replica_sec')
    source = postgresSource({ pool: pg.pool, schema: pg.schema })
    sql = async (text, values = []) => {
      let n = 0
      const r = await pg.pool.query(text.replaceAll('$S.', `"${pg.schema}".`).replace(/\?/g, () => `$${++n}`), values)
      return r.rows
    }
    closers.push(() => pg.drop())
  }
  for (const s of setup) await sql(s)
  return {
    name,
    source,
    sql,
    async settle() {
      if (name === 'postgres') await pgSettled((text) => sql(text))
    },
    async serve(options) {
      const handler = createReplicaHandler({ cursorSecret: SECRET, source, ...options })
      await handler.ready()
      const http = await serve(handler)
      closers.unshift(http.close)
      return { handler, base: http.base }
    },
    async close() {
      for (const c of closers) await c()
    },
  }
}

/** POST a push as the client does. */
export function pushTo(base: string, mutations: unknown, headers: Record<string, string> = {}) {
  return get(`${base}/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof mutations === 'string' ? mutations : JSON.stringify({ mutations }),
  })
}
