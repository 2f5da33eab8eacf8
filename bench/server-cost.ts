/**
 * One caller's costly reads against everyone else: while 20 digests over a 150,000-row scope run
 * at once, how long does a small probe (a 1-row pull of another collection) wait, and how much
 * does the server process grow? Over SQLite and PostgreSQL, on loopback HTTP.
 * Run: npx tsx bench/server-cost.ts [path to src/server/index.ts] (another path measures another build)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import pg from 'pg'

const entry = path.resolve(process.argv[2] ?? 'src/server/index.ts')
const server = await import(entry)
const ROWS = 150_000
const DIGESTS = 20

async function measure(name: string, source: unknown) {
  const replica = server.createReplicaHandler({ source, collections: server.exampleCollections, authorize: () => ({}), cursorSecret: 'bench-secret-0123456789abcdef' })
  await replica.ready()
  const http = server.createReplicaServer(replica)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  // The end of the scope: page through it once.
  let cursor: string | null = null
  for (;;) {
    const page: any = await (await fetch(`${base}/pull?collection=note&limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json()
    cursor = page.cursor ?? cursor
    if (!page.hasMore) break
  }
  const probe = async () => {
    const t = performance.now()
    await (await fetch(`${base}/pull?collection=project&limit=1`)).text()
    return performance.now() - t
  }
  const idle = await probe()
  const rss0 = process.memoryUsage().rss
  const started = performance.now()
  const statuses: number[] = []
  const digests = Array.from({ length: DIGESTS }, () => fetch(`${base}/digest?collection=note&cursor=${cursor}`).then(async (r) => (statuses.push(r.status), await r.text())))
  await new Promise((resolve) => setTimeout(resolve, 20))
  const probes: number[] = []
  for (let i = 0; i < 5; i++) probes.push(await probe())
  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
  await Promise.all(digests)
  clearInterval(sampler)
  const all = performance.now() - started
  const count = (s: number) => statuses.filter((x) => x === s).length
  console.log(
    JSON.stringify({
      backend: name,
      probeIdleMs: +idle.toFixed(1),
      probeDuringMs: { max: +Math.max(...probes).toFixed(1), median: +probes.sort((a, b) => a - b)[2]!.toFixed(1) },
      digestsMs: +all.toFixed(0),
      statuses: { 200: count(200), 503: count(503) },
      rssGrowthMiB: +((peak - rss0) / 2 ** 20).toFixed(0),
    }),
  )
  await new Promise<void>((resolve) => http.close(() => resolve()))
}

const dir = mkdtempSync(path.join(tmpdir(), 'replica-cost-'))
try {
  const db = new Database(path.join(dir, 'cost.db'))
  db.pragma('journal_mode = WAL')
  server.seedExampleData(db, { projects: 1, contacts: 100, notes: ROWS })
  await measure('sqlite', server.sqliteSource({ db }))
  db.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 30 })
const schema = `cost_${process.pid}`
try {
  await pool.query(`CREATE SCHEMA ${schema}`)
  await server.seedExampleDataPostgres(pool, schema, { projects: 1, contacts: 100, notes: ROWS })
  await measure('postgres', server.postgresSource({ pool, schema }))
} catch (e) {
  console.log(JSON.stringify({ backend: 'postgres', skipped: String(e) }))
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {})
  await pool.end()
}
