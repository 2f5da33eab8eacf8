/**
 * The runnable reference server: `npm start`.
 *
 * Serves the 2015 example app's data (1 project, 1,000 contacts, 10,000 notes) from an embedded
 * SQLite file, created and seeded on first run, over node:http:
 *   GET /replica/pull?collection=note&filter={"project_id":1}     our protocol (docs/protocol.md)
 *   GET /replica/live?collection=note                              live pokes (Server-Sent Events)
 *   GET /offline/download_updated?scope={...}                      2015, blog variant
 *   GET /replicated_db/download_updates?scope={...}                2015, example-repository variant
 *
 * Environment: PORT (default 3000), HOST (default 127.0.0.1), REPLICA_DB (default
 * ./data/replica-example.db), REPLICA_CURSOR_SECRET (default: a secret kept in the database file,
 * so cursors survive restarts, and every process serving that file signs alike; instances over a
 * shared PostgreSQL must be given one and the same REPLICA_CURSOR_SECRET).
 */
import { mkdirSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import {
  createReplicaHandler,
  createReplicaServer,
  exampleCollections,
  seedExampleData,
  sqliteSource,
} from '../../src/server/index.js'
import { listen, runMain, StartupError } from './startup'

/** A cursor secret stored next to the data, made on first run. */
function storedSecret(db: Database.Database): string {
  db.exec('CREATE TABLE IF NOT EXISTS example_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
  db.prepare('INSERT OR IGNORE INTO example_meta (key, value) VALUES (?, ?)').run('cursor_secret', randomBytes(32).toString('base64url'))
  return db.prepare('SELECT value FROM example_meta WHERE key = ?').pluck().get('cursor_secret') as string
}

// The notes table before the seed makes it: an id column without a type keeps the seed's integers
// as integers and takes the text ids (`newId()`, UUIDv7) that the notes app makes offline. The
// CHECK is a rule only the server knows: a longer note is refused, and the app shows why.
export const MAX_NOTE_LENGTH = 2000
const NOTES_TABLE = `CREATE TABLE IF NOT EXISTS notes (id PRIMARY KEY NOT NULL, project_id INTEGER NOT NULL, contact_id INTEGER,
  body TEXT NOT NULL CHECK (length(body) <= ${MAX_NOTE_LENGTH}), created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`

/**
 * Opens (creating and seeding on first run) the example database. A path that cannot be opened,
 * or a file that is not this example's database, is a StartupError naming the path.
 *
 * @example const { db, seeded } = openExampleDatabase('./data/replica-example.db')
 */
export function openExampleDatabase(file: string) {
  let db: Database.Database | undefined
  try {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
    db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.exec(NOTES_TABLE)
    const id = (db.prepare("SELECT type FROM pragma_table_info('notes') WHERE name = 'id'").pluck().get() as string | undefined) ?? ''
    if (id.toUpperCase() === 'INTEGER') {
      throw new StartupError(`${file} was made by an older version of this example (integer note ids only): delete it to start afresh, or choose another file: REPLICA_DB=./data/notes.db npm start`)
    }
    return { db, file, seeded: seedExampleData(db) }
  } catch (error) {
    db?.close()
    if (error instanceof StartupError) throw error
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOTDIR' || code === 'EEXIST' ? 'a part of its path is a file, not a directory' : (error as Error).message
    throw new StartupError(`Cannot open the database ${file}: ${reason}. Give another path: REPLICA_DB=./data/notes.db npm start`)
  }
}

/**
 * The replica handler over the example database: everything readable by everyone (a demo on
 * loopback), notes writable by pages of this server only.
 *
 * @example const replica = await createExampleHandler(openExampleDatabase(file).db)
 */
export async function createExampleHandler(db: Database.Database) {
  const replica = createReplicaHandler({
    source: sqliteSource({ db }),
    collections: {
      ...exampleCollections,
      // The notes app writes notes; projects and contacts stay read-only.
      note: { ...exampleCollections.note, writable: ['project_id', 'contact_id', 'body', 'created_at'] },
    },
    // See docs/server.md, "Security model", for a real authorize.
    authorize: () => ({}),
    basePath: '/replica',
    // Only pages from this server itself may push (the notes app is served from it).
    allowedOrigins: (origin, req) => origin === `http://${req.headers.get('host')}`,
    cursorSecret: process.env.REPLICA_CURSOR_SECRET ?? storedSecret(db),
  })
  await replica.ready()
  return replica
}

export async function startExampleServer(options: { file?: string; port?: number; host?: string; fallback?: http.RequestListener } = {}) {
  const { db, file, seeded } = openExampleDatabase(options.file ?? process.env.REPLICA_DB ?? './data/replica-example.db')
  const replica = await createExampleHandler(db)
  const server = createReplicaServer(replica, options.fallback ? { fallback: options.fallback } : {})
  const port = options.port ?? Number(process.env.PORT ?? 3000)
  const host = options.host ?? process.env.HOST ?? '127.0.0.1'
  const url = await listen(server, port, host).catch((error: unknown) => {
    db.close()
    throw error
  })
  return {
    url,
    file,
    seeded,
    server,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      db.close()
    },
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)
if (isMain) await runMain(async () => {
  const s = await startExampleServer()
  if (s.seeded.notes) console.log(`Created and seeded ${s.file}: ${s.seeded.projects} project, ${s.seeded.contacts} contacts, ${s.seeded.notes} notes`)
  console.log(`redux-replica example server on ${s.url}`)
  console.log(`  our protocol:  ${s.url}/replica/pull?collection=note&filter=${encodeURIComponent('{"project_id":1}')}`)
  console.log(`  live pokes:    ${s.url}/replica/live?collection=note`)
  console.log(`  2015 (blog):   ${s.url}/offline/download_updated?scope=${encodeURIComponent('{"collection":"note","filter":{"project_id":1}}')}`)
  console.log(`  2015 (repo):   ${s.url}/replicated_db/download_updates?scope=${encodeURIComponent('{"collectionName":"note"}')}`)
  const stop = () => void s.close().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
})
