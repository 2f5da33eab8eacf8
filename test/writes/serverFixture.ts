import Database from 'better-sqlite3'
import { afterAll, beforeAll } from 'vitest'
import { serve, tempDir } from '../server/helpers'
import { createReplicaHandler, sqliteSource, type Authorize, type CollectionsConfig, type ReplicaHandler, type ReplicaHandlerOptions, type Scope } from '../../src/server/index.js'

export const TODOS_SQL = `CREATE TABLE todos (id TEXT PRIMARY KEY, list_id INTEGER NOT NULL, title TEXT NOT NULL,
  done BOOLEAN NOT NULL DEFAULT 0, created_at TEXT, updated_at TEXT)`

/** A writable collection and a read-only one, both scoped by list. */
export const todoCollections = {
  todo: { table: 'todos', filterable: ['list_id'], writable: ['list_id', 'title', 'done', 'created_at'] },
  label: { table: 'labels', filterable: ['list_id'] },
} as const satisfies CollectionsConfig

/**
 * Callers by token: none sees everything; 'l1' reads and writes list 1 only; 'nobody' is unknown
 * (401); 'banned' is refused (403).
 */
export const todoAuthorize: Authorize = (req): Scope | false | null => {
  const token = req.headers.get('authorization')
  if (!token) return {}
  if (token === 'Bearer l1') return { list_id: [1] }
  if (token === 'Bearer banned') return false
  return null
}

/** An in-memory SQLite database with the todos and labels tables, and a handler over it. */
export function todoServer(options: Partial<ReplicaHandlerOptions> = {}) {
  const db = new Database(':memory:')
  db.exec(TODOS_SQL)
  db.exec('CREATE TABLE labels (id INTEGER PRIMARY KEY, list_id INTEGER NOT NULL, name TEXT)')
  db.exec("INSERT INTO labels (id, list_id, name) VALUES (1, 1, 'urgent')")
  const prepared: string[] = []
  const original = db.prepare.bind(db)
  ;(db as unknown as { prepare: (sql: string) => unknown }).prepare = (sql: string) => {
    prepared.push(sql)
    return original(sql)
  }
  const handler: ReplicaHandler = createReplicaHandler({
    source: sqliteSource({ db }),
    collections: todoCollections,
    authorize: todoAuthorize,
    basePath: '/replica',
    cursorSecret: 'test-secret-0123456789abcdef',
    ...options,
  })
  return {
    db,
    handler,
    /** Every statement SQLite was asked to prepare. */
    prepared,
    row: (id: string) => db.prepare('SELECT * FROM todos WHERE id = ?').get(id) as Record<string, unknown> | undefined,
    mutationCount: () => (db.prepare('SELECT count(*) FROM _replica_mutations').pluck().get() as number),
    clock: () => db.prepare('SELECT v FROM _replica_clock WHERE id = 0').pluck().get() as number,
  }
}

/**
 * For a test file: the todo server over HTTP on loopback, started before its tests and closed
 * after them, and a temporary directory for the clients' files. Read the fields inside tests.
 */
export function todoServerOverHttp() {
  const served = { tmp: tempDir() } as { tmp: ReturnType<typeof tempDir>; backend: ReturnType<typeof todoServer>; http: Awaited<ReturnType<typeof serve>> }
  beforeAll(async () => {
    served.backend = todoServer()
    await served.backend.handler.ready()
    served.http = await serve(served.backend.handler)
  })
  afterAll(async () => {
    await served.http?.close()
    served.backend?.db.close()
    served.tmp.remove()
  })
  return served
}
