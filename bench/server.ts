/**
 * Server pull throughput: all pages of 100,000 rows over loopback HTTP, pages of 250, one
 * subscription (`project_id = 1`, which every row matches). Contenders, measured in the same run
 * with the same node:http keep-alive client (which JSON.parses every page):
 *   bare-sqlite     node:http + better-sqlite3, a row-value keyset query, JSON.stringify: the floor
 *   ours-sqlite     createReplicaHandler over sqliteSource (signed cursors, move log, tombstones)
 *   ours-sqlite-remaining   the same with `remaining: true` (a COUNT on every page)
 *   ours-sqlite-2015        the 2015 blog endpoint (updated_at cursor, runs of 300 rows per timestamp)
 *   ours-postgres   createReplicaHandler over postgresSource (skipped when PostgreSQL is unreachable)
 * Prints a table and one JSON line per figure. Run: npx tsx bench/server.ts [rows]
 */
import http from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import pg from 'pg'
import {
  createReplicaHandler,
  createReplicaServer,
  exampleCollections,
  postgresSource,
  seedExampleData,
  seedExampleDataPostgres,
  sqliteSource,
} from '../src/server/index.js'

export interface ServerBenchFigure {
  bench: 'server_pull'
  contender: string
  n: number
  ms: number
  rows_per_s: number
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${res.statusCode} ${url}`))))
      })
      .on('error', reject)
  })
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
const close = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()))

/** Pull every page; returns the number of rows received. */
type Walk = (base: string) => Promise<number>

const walkOurs: Walk = async (base) => {
  let cursor: string | null = null
  let n = 0
  for (;;) {
    const url: string = `${base}/pull?collection=note&limit=250&filter=${encodeURIComponent('{"project_id":1}')}${cursor ? `&cursor=${cursor}` : ''}`
    const page = JSON.parse(await getText(url))
    n += page.rows.length
    cursor = page.cursor
    if (!page.hasMore) return n
  }
}

const walkBare: Walk = async (base) => {
  let after: [number, number] | null = null
  let n = 0
  for (;;) {
    const page = JSON.parse(await getText(`${base}/pull?project_id=1${after ? `&v=${after[0]}&id=${after[1]}` : ''}`))
    n += page.rows.length
    after = page.cursor
    if (!page.hasMore) return n
  }
}

const walkSeed: Walk = async (base) => {
  let n = 0
  let scope: Record<string, unknown> = { collection: 'note', filter: { project_id: 1 } }
  for (;;) {
    const page = JSON.parse(await getText(`${base}/offline/download_updated?scope=${encodeURIComponent(JSON.stringify(scope))}`))
    if (page.length === 0) return n
    n += page.length
    const last = page[page.length - 1]
    scope = { ...scope, lastIdCursor: last.id, lastUpdatedCursor: last.updated_at }
  }
}

/** The floor: the least a keyset server over the same table can do. */
function bareServer(db: Database.Database): http.Server {
  const first = db.prepare('SELECT * FROM notes WHERE project_id = ? ORDER BY _version, id LIMIT 251')
  const next = db.prepare('SELECT * FROM notes WHERE project_id = ? AND (_version, id) > (?, ?) ORDER BY _version, id LIMIT 251')
  return http.createServer((req, res) => {
    const q = new URL(req.url!, 'http://x').searchParams
    const p = Number(q.get('project_id'))
    const rows = (q.has('v') ? next.all(p, Number(q.get('v')), Number(q.get('id'))) : first.all(p)) as Array<{ _version: number; id: number }>
    const hasMore = rows.length > 250
    if (hasMore) rows.length = 250
    const last = rows[rows.length - 1]
    const body = JSON.stringify({ rows, cursor: last ? [last._version, last.id] : null, hasMore })
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
}

/**
 * Walk every contender once per round, round after round, and keep each one's median: the
 * machine's background load then hits all contenders alike instead of whichever ran during it.
 */
async function measureInterleaved(contenders: Array<[string, string, Walk]>, runs: number): Promise<ServerBenchFigure[]> {
  const times = new Map<string, number[]>(contenders.map(([name]) => [name, []]))
  const counts = new Map<string, number>()
  for (const [, base, walk] of contenders) await walk(base) // warm-up: statement caches, JIT
  for (let i = 0; i < runs; i++) {
    for (const [name, base, walk] of contenders) {
      const t = performance.now()
      counts.set(name, await walk(base))
      times.get(name)!.push(performance.now() - t)
    }
  }
  return contenders.map(([name]) => {
    const sorted = times.get(name)!.sort((a, b) => a - b)
    const ms = sorted[Math.floor(sorted.length / 2)]!
    const n = counts.get(name)!
    return { bench: 'server_pull', contender: name, n, ms: Math.round(ms), rows_per_s: Math.round((n / ms) * 1000) }
  })
}

/** Run the benchmark; resolves to one figure per contender (median of `runs`). */
export async function runServerBench(options: { rows?: number; runs?: number; postgresUrl?: string; log?: (line: string) => void } = {}) {
  const rows = options.rows ?? 100_000
  const runs = options.runs ?? 5
  const log = options.log ?? console.log
  const figures: ServerBenchFigure[] = []
  const dir = mkdtempSync(path.join(tmpdir(), 'replica-bench-'))
  try {
    const db = new Database(path.join(dir, 'bench.db'))
    db.pragma('journal_mode = WAL')
    seedExampleData(db, { projects: 1, contacts: 1000, notes: rows })
    const secret = 'bench-secret-0123456789abcdef'
    const source = sqliteSource({ db })
    const ours = createReplicaHandler({ source, collections: exampleCollections, authorize: () => ({}), cursorSecret: secret })
    const oursCounting = createReplicaHandler({ source, collections: exampleCollections, authorize: () => ({}), cursorSecret: secret, remaining: true })
    await ours.ready()
    await oursCounting.ready()

    const servers: Array<[string, http.Server, Walk]> = [
      ['bare-sqlite', bareServer(db), walkBare],
      ['ours-sqlite', createReplicaServer(ours), walkOurs],
      ['ours-sqlite-remaining', createReplicaServer(oursCounting), walkOurs],
      ['ours-sqlite-2015', createReplicaServer(ours), walkSeed],
    ]
    const contenders: Array<[string, string, Walk]> = []
    for (const [name, server, walk] of servers) contenders.push([name, await listen(server), walk])
    figures.push(...(await measureInterleaved(contenders, runs)))
    for (const [, server] of servers) await close(server)
    db.close()

    const pool = new pg.Pool({ connectionString: options.postgresUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 4 })
    const schema = `replica_bench_${process.pid}`
    try {
      await pool.query(`CREATE SCHEMA "${schema}"`)
      try {
        await seedExampleDataPostgres(pool, schema, { projects: 1, contacts: 1000, notes: rows })
        await pool.query(`ANALYZE "${schema}".notes`)
        const replica = createReplicaHandler({
          source: postgresSource({ pool, schema }),
          collections: exampleCollections,
          authorize: () => ({}),
          cursorSecret: secret,
        })
        await replica.ready()
        const server = createReplicaServer(replica)
        figures.push(...(await measureInterleaved([['ours-postgres', await listen(server), walkOurs]], runs)))
        await close(server)
      } finally {
        await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
      }
    } catch (e) {
      log(`(PostgreSQL skipped: ${(e as Error).message})`)
    } finally {
      await pool.end()
    }
  } finally {
    agent.destroy()
    rmSync(dir, { recursive: true, force: true })
  }

  const bare = figures.find((f) => f.contender === 'bare-sqlite')!
  log(`server_pull: ${rows} rows, pages of 250, loopback HTTP, median of ${runs}`)
  log(`${'contender'.padEnd(24)}${'ms'.padStart(8)}${'rows/s'.padStart(10)}${'vs bare'.padStart(9)}`)
  for (const f of figures) {
    log(`${f.contender.padEnd(24)}${String(f.ms).padStart(8)}${String(f.rows_per_s).padStart(10)}${(f.rows_per_s / bare.rows_per_s).toFixed(2).padStart(8)}x`)
  }
  for (const f of figures) log(JSON.stringify(f))
  return figures
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)
if (isMain) await runServerBench({ rows: process.argv[2] ? Number(process.argv[2]) : undefined })
