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
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import {
  createReplicaHandler,
  createReplicaServer,
  exampleCollections,
  seedExampleData,
  sqliteSource,
} from '../../src/server/index.js'

/** A cursor secret stored next to the data, made on first run. */
function storedSecret(db: Database.Database): string {
  db.exec('CREATE TABLE IF NOT EXISTS example_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
  db.prepare('INSERT OR IGNORE INTO example_meta (key, value) VALUES (?, ?)').run('cursor_secret', randomBytes(32).toString('base64url'))
  return db.prepare('SELECT value FROM example_meta WHERE key = ?').pluck().get('cursor_secret') as string
}

export async function startExampleServer(
  options: { file?: string; port?: number; host?: string; fallback?: import('node:http').RequestListener } = {},
) {
  const file = options.file ?? process.env.REPLICA_DB ?? './data/replica-example.db'
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  const seeded = seedExampleData(db)
  const source = sqliteSource({ db })
  const replica = createReplicaHandler({
    source,
    collections: {
      ...exampleCollections,
      // The notes app writes notes; projects and contacts stay read-only.
      note: { ...exampleCollections.note, writable: ['project_id', 'contact_id', 'body', 'created_at'] },
    },
    // The example serves everything to everyone (a demo on loopback); see docs/server.md,
    // "Security model", for a real authorize.
    authorize: () => ({}),
    basePath: '/replica',
    // Only pages from this server itself may push (the notes app is served from it).
    allowedOrigins: (origin, req) => origin === `http://${req.headers.get('host')}`,
    cursorSecret: process.env.REPLICA_CURSOR_SECRET ?? storedSecret(db),
  })
  await replica.ready()
  const server = createReplicaServer(replica, options.fallback ? { fallback: options.fallback } : {})
  const port = options.port ?? Number(process.env.PORT ?? 3000)
  const host = options.host ?? process.env.HOST ?? '127.0.0.1'
  await new Promise<void>((resolve) => server.listen(port, host, resolve))
  const address = server.address() as AddressInfo
  const url = `http://${address.address}:${address.port}`
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
if (isMain) {
  const s = await startExampleServer()
  if (s.seeded.notes) console.log(`Created ${s.file}: ${s.seeded.projects} project, ${s.seeded.contacts} contacts, ${s.seeded.notes} notes`)
  console.log(`redux-replica example server on ${s.url}`)
  console.log(`  our protocol:  ${s.url}/replica/pull?collection=note&filter=${encodeURIComponent('{"project_id":1}')}`)
  console.log(`  live pokes:    ${s.url}/replica/live?collection=note`)
  console.log(`  2015 (blog):   ${s.url}/offline/download_updated?scope=${encodeURIComponent('{"collection":"note","filter":{"project_id":1}}')}`)
  console.log(`  2015 (repo):   ${s.url}/replicated_db/download_updates?scope=${encodeURIComponent('{"collectionName":"note"}')}`)
  const stop = () => void s.close().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
