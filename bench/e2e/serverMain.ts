/**
 * The reference server for the end-to-end benchmarks, in its own process (so server and client
 * each get a core): `serverMain.ts <notes> <sqlite file>`. Seeds the 2015 example data with
 * <notes> notes into a fresh SQLite file, serves our protocol at /replica and the 2015 endpoints,
 * and prints `READY <url> <seconds to seed>`. One bench-only route changes a row, for the live
 * update benchmark: `POST /bench/touch?id=<id>` answers `{ row }` once the write is committed.
 * With a third argument, a directory, it also serves that directory's files under /bench/page/
 * (the browser benchmark's built page, so that page and endpoint share one origin).
 */
import Database from 'better-sqlite3'
import { createReplicaHandler, createReplicaServer, createReplicaWriter, exampleCollections, seedExampleData, sqliteSource } from '../../src/server/index'
import type { AddressInfo } from 'node:net'
import { PAGE_BASE, servePage } from '../browser/servePage'

const [notes, file, pageDir] = process.argv.slice(2)
const started = performance.now()
const db = new Database(file as string)
db.pragma('journal_mode = WAL')
seedExampleData(db, { notes: Number(notes) })
const source = sqliteSource({ db })
const replica = createReplicaHandler({
  source,
  collections: exampleCollections,
  authorize: () => ({}),
  basePath: '/replica',
  cursorSecret: 'redux-replica-benchmarks',
  // Pages of 250 as the 2015 design; `remaining` only on the first page (the default).
})
await replica.ready()
const writer = createReplicaWriter({ source, collections: exampleCollections })
const seconds = (performance.now() - started) / 1000

let touches = 0
const bootedAt = Date.now()
const server = createReplicaServer(replica, {
  fallback: (req, res) => {
    const url = new URL(req.url ?? '/', 'http://bench')
    if (pageDir && req.method === 'GET' && url.pathname.startsWith(PAGE_BASE)) return servePage(pageDir, url.pathname.slice(PAGE_BASE.length), res)
    if (req.method === 'POST' && url.pathname === '/bench/touch') {
      const id = Number(url.searchParams.get('id'))
      writer
        // Unique across server runs too, so a client can never already hold this body.
        .update('note', id, { body: `touched ${bootedAt}-${++touches}` })
        .then((row) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ row })))
        .catch((error: Error) => res.writeHead(500).end(error.message))
      return
    }
    res.writeHead(404).end()
  },
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  console.log(`READY http://127.0.0.1:${port} ${seconds.toFixed(2)}`)
})
process.on('SIGTERM', () => server.close(() => (db.close(), process.exit(0))))
// The parent holds our stdin open: when it dies, however it dies, so do we.
process.stdin.on('end', () => process.exit(0)).resume()
