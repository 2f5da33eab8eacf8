import Database from 'better-sqlite3'
import pg from 'pg'
import { createReplicaHandler, postgresSource, sqliteSource } from '../../src/server/index.js'
import type { CollectionsConfig, ReplicaSource } from '../../src/server/index.js'
import { PG_URL, SECRET, pgSchema, serve } from '../server/helpers.js'

/** The one collection of the schedules: items, filtered by project, with a default and a nullable column. */
export const collections = { item: { table: 'items', filterable: ['project_id'], writable: ['project_id', 'title', 'n', 'note'] } } as const satisfies CollectionsConfig

export interface Item {
  id: string
  project_id: number
  title: string
  n?: number
  note?: string | null
  _version?: number
}

/** A change made on the server by plain SQL (not through the handler). */
export type ServerChange =
  | { op: 'insert'; id: string; project: number; title: string }
  | { op: 'update'; id: string; title: string }
  | { op: 'move'; id: string; project: number }
  | { op: 'delete'; id: string }
  | { op: 'rekey'; id: string; to: string }

/** The reference server over one database, served on loopback, and the test's own SQL access to it. */
export interface Backend {
  kind: 'sqlite' | 'postgres'
  /** The replica endpoint, straight to the server (clients go through their proxies). */
  url: string
  change(change: ServerChange): Promise<void>
  /**
   * A divergence on purpose: the row goes with its move-log entries, so no tombstone will ever
   * tell a client. Only the digest check can find it.
   */
  deleteBehindTheBack(id: string): Promise<void>
  /** PostgreSQL: opens a transaction, makes the change in it and leaves it open (one at a time). */
  beginSlow(change: ServerChange): Promise<void>
  commitSlow(): Promise<void>
  /** Keys the open slow transaction has written (other writers would wait for it). */
  lockedKeys(): ReadonlySet<string>
  /** Live rows' ids and versions, straight from the table. */
  liveVersions(): Promise<Map<string, number>>
  /** Recorded push answers by mutation id: their status. */
  mutationStatuses(): Promise<Map<string, string>>
  /** How many times each title was written (inserted, or changed to it). */
  titleWrites(): Promise<Map<string, number>>
  close(): Promise<void>
}

const ITEMS_SQLITE = `CREATE TABLE items (id TEXT PRIMARY KEY, project_id INTEGER NOT NULL, title TEXT NOT NULL,
  n INTEGER NOT NULL DEFAULT 0, note TEXT);
CREATE TABLE audit (seq INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TRIGGER items_audit_insert AFTER INSERT ON items BEGIN INSERT INTO audit (title) VALUES (NEW.title); END;
CREATE TRIGGER items_audit_update AFTER UPDATE OF title ON items WHEN OLD.title IS NOT NEW.title
  BEGIN INSERT INTO audit (title) VALUES (NEW.title); END;`

const itemsPostgres = (S: string) => `CREATE TABLE ${S}.items (id text PRIMARY KEY, project_id integer NOT NULL, title text NOT NULL,
  n integer NOT NULL DEFAULT 0, note text);
CREATE TABLE ${S}.audit (seq serial PRIMARY KEY, title text NOT NULL);
CREATE FUNCTION ${S}.items_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO ${S}.audit (title) VALUES (NEW.title); RETURN NULL; END $$;
CREATE TRIGGER items_audit_insert AFTER INSERT ON ${S}.items FOR EACH ROW EXECUTE FUNCTION ${S}.items_audit();
CREATE TRIGGER items_audit_update AFTER UPDATE OF title ON ${S}.items FOR EACH ROW
  WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION ${S}.items_audit();`

/** One change as a parameterized statement; `$n` placeholders, rewritten to `?` for SQLite. */
function statement(change: ServerChange, items: string): [string, unknown[]] {
  switch (change.op) {
    case 'insert':
      return [`INSERT INTO ${items} (id, project_id, title) VALUES ($1, $2, $3)`, [change.id, change.project, change.title]]
    case 'update':
      return [`UPDATE ${items} SET title = $1 WHERE id = $2`, [change.title, change.id]]
    case 'move':
      return [`UPDATE ${items} SET project_id = $1 WHERE id = $2`, [change.project, change.id]]
    case 'delete':
      return [`DELETE FROM ${items} WHERE id = $1`, [change.id]]
    case 'rekey':
      return [`UPDATE ${items} SET id = $1 WHERE id = $2`, [change.to, change.id]]
  }
}

const keysOf = (change: ServerChange) => (change.op === 'rekey' ? [change.id, change.to] : [change.id])

async function handlerOver(source: ReplicaSource) {
  const handler = createReplicaHandler({ source, collections, authorize: () => ({}), basePath: '/replica', cursorSecret: SECRET })
  await handler.ready()
  const server = await serve(handler)
  return { url: `${server.base}/replica`, close: server.close }
}

export async function sqliteBackend(seed: ServerChange[]): Promise<Backend> {
  const db = new Database(':memory:')
  db.exec(ITEMS_SQLITE)
  const http = await handlerOver(sqliteSource({ db }))
  const run = (change: ServerChange) => {
    const [sql, params] = statement(change, 'items')
    db.prepare(sql.replace(/\$\d+/g, '?')).run(...params)
  }
  for (const change of seed) run(change)
  return {
    kind: 'sqlite',
    url: http.url,
    change: async (change) => run(change),
    async deleteBehindTheBack(id) {
      db.transaction(() => {
        db.prepare('DELETE FROM items WHERE id = ?').run(id)
        db.prepare('DELETE FROM items__replica_log WHERE id = ?').run(id)
      })()
    },
    beginSlow: async () => {
      throw new Error('slow transactions are for PostgreSQL (SQLite has one writer at a time)')
    },
    commitSlow: async () => {},
    lockedKeys: () => new Set(),
    liveVersions: async () =>
      new Map((db.prepare('SELECT id, _version FROM items WHERE _deleted = 0').all() as Array<{ id: string; _version: number }>).map((r) => [r.id, r._version])),
    mutationStatuses: async () =>
      new Map((db.prepare('SELECT id, result FROM _replica_mutations').all() as Array<{ id: string; result: string }>).map((r) => [r.id, (JSON.parse(r.result) as { status: string }).status])),
    titleWrites: async () =>
      new Map((db.prepare('SELECT title, count(*) AS n FROM audit GROUP BY title').all() as Array<{ title: string; n: number }>).map((r) => [r.title, r.n])),
    async close() {
      await http.close()
      db.close()
    },
  }
}

export async function postgresBackend(seed: ServerChange[]): Promise<Backend> {
  const schema = await pgSchema('replica_converge')
  const S = `"${schema.schema}"`
  const items = `${S}.items`
  // The test's own connections: the handler's pool may be full of requests waiting on a lock.
  const admin = new pg.Pool({ connectionString: PG_URL, max: 3 })
  await admin.query(itemsPostgres(S))
  const http = await handlerOver(postgresSource({ pool: schema.pool, schema: schema.schema }))
  const run = async (change: ServerChange, via: pg.Pool | pg.PoolClient = admin) => {
    const [sql, params] = statement(change, items)
    await via.query(sql, params)
  }
  for (const change of seed) await run(change)
  let slow: { client: pg.PoolClient; keys: Set<string> } | undefined
  const commitSlow = async () => {
    if (!slow) return
    const { client } = slow
    slow = undefined
    try {
      await client.query('COMMIT')
    } finally {
      client.release()
    }
  }
  return {
    kind: 'postgres',
    url: http.url,
    change: (change) => run(change),
    async deleteBehindTheBack(id) {
      const client = await admin.connect()
      try {
        await client.query('BEGIN')
        await client.query(`DELETE FROM ${items} WHERE id = $1`, [id])
        await client.query(`DELETE FROM ${S}.items__replica_log WHERE id = $1`, [id])
        await client.query('COMMIT')
      } finally {
        client.release()
      }
    },
    async beginSlow(change) {
      if (slow) throw new Error('one slow transaction at a time')
      const client = await admin.connect()
      slow = { client, keys: new Set(keysOf(change)) }
      await client.query('BEGIN')
      await run(change, client)
    },
    commitSlow,
    lockedKeys: () => slow?.keys ?? new Set(),
    liveVersions: async () =>
      new Map((await admin.query(`SELECT id, _version FROM ${items} WHERE NOT _deleted`)).rows.map((r: { id: string; _version: string }) => [r.id, Number(r._version)])),
    mutationStatuses: async () =>
      new Map((await admin.query(`SELECT id, result FROM ${S}._replica_mutations`)).rows.map((r: { id: string; result: string }) => [r.id, (JSON.parse(r.result) as { status: string }).status])),
    titleWrites: async () =>
      new Map((await admin.query(`SELECT title, count(*)::int AS n FROM ${S}.audit GROUP BY title`)).rows.map((r: { title: string; n: number }) => [r.title, r.n])),
    async close() {
      await commitSlow().catch(() => {})
      await http.close()
      await admin.end()
      await schema.drop()
    },
  }
}
