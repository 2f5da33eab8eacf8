/**
 * `npm run loadtest`: two reference-server processes over one PostgreSQL, N clients (real stores
 * with the middleware) in a few Node processes, writes at a steady rate through both servers'
 * push endpoints and in plain SQL. Measures write-to-Redux latency, pokes and pulls per write,
 * requests of idle clients, and the servers' CPU and memory; then the same with polling only.
 *
 * Flags: --clients=1000 --workers=4 --projects=100 --rate=20 (writes/s) --seconds=30
 *        --idle=31 (seconds of no writes, for the idle cost: at least one polling interval)
 *        --poll=30000 --no-polling-run
 * PostgreSQL: REPLICA_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { liveTables } from '../test/fixtures/liveSchema'
import { startServerProcess, type ServerProcess } from '../test/fixtures/liveServers'
import { fmt, table } from './lib/output'
import { round } from './lib/stats'

const flag = (name: string, fallback: number) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`))
  return hit ? Number(hit.slice(name.length + 3)) : fallback
}
const opts = {
  clients: flag('clients', 1000),
  workers: flag('workers', 4),
  projects: flag('projects', 100),
  rate: flag('rate', 20),
  seconds: flag('seconds', 30),
  idle: flag('idle', 31),
  poll: flag('poll', 30_000),
  pollingRun: !process.argv.includes('--no-polling-run'),
}
const PG_URL = process.env.REPLICA_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const CLIENTS = fileURLToPath(new URL('./load/clients.ts', import.meta.url))
const now = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Worker {
  child: ChildProcess
  next(): Promise<any>
  send(line: string): void
}

function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENTS], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] })
  const waiting: Array<(v: unknown) => void> = []
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(JSON.parse(line)))
  return { child, next: () => new Promise((resolve) => waiting.push(resolve)), send: (line) => child.stdin!.write(`${line}\n`) }
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN)

async function phase(live: boolean, servers: ServerProcess[], pool: pg.Pool, schema: string, firstId: number) {
  const per = Math.ceil(opts.clients / opts.workers)
  const workers: Worker[] = []
  for (let w = 0; w < opts.workers; w++) {
    const count = Math.min(per, opts.clients - w * per)
    if (count <= 0) break
    workers.push(
      startWorker({
        LOAD_URLS: servers.map((s) => s.url).join(','),
        LOAD_FROM: String(w * per),
        LOAD_COUNT: String(count),
        LOAD_PROJECTS: String(opts.projects),
        LOAD_LIVE: live ? '1' : '0',
        LOAD_POLL: String(opts.poll),
      }),
    )
  }
  const startedAt = now()
  await Promise.all(workers.map((w) => w.next()))
  const readyMs = now() - startedAt
  const before = await Promise.all(servers.map((s) => s.stats()))
  for (const w of workers) w.send('measure')

  // Steady writes: one every 1000/rate ms, in turn through A's push, B's push, and plain SQL.
  let id = firstId
  let writes = 0
  const inFlight: Array<Promise<unknown>> = []
  const end = now() + opts.seconds * 1000
  for (let next = now(); next < end; next += 1000 / opts.rate) {
    const wait = next - now()
    if (wait > 0) await sleep(wait)
    const project = (writes % opts.projects) + 1
    const row = { id: id++, project_id: project, body: JSON.stringify({ t: now() }) }
    const via = writes % 3
    writes++
    inFlight.push(
      via === 2
        ? pool.query(`INSERT INTO "${schema}".notes (id, project_id, body) VALUES ($1, $2, $3)`, [row.id, row.project_id, row.body])
        : fetch(`${servers[via]!.url}/push`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer project-${project}` },
            body: JSON.stringify({ mutations: [{ id: `w-${row.id}`, collection: 'note', op: 'upsert', key: row.id, row, baseVersion: null }] }),
          }).then((r) => r.text()),
    )
  }
  await Promise.all(inFlight)
  // Let the last writes arrive: a poll-only client needs up to a polling interval.
  await sleep(live ? 2000 : opts.poll + 2000)
  for (const w of workers) w.send('report')
  const reports = await Promise.all(workers.map((w) => w.next()))
  const after = await Promise.all(servers.map((s) => s.stats()))
  const busyWindowMs = now() - startedAt - readyMs

  // Idle: no writes; what do clients cost?
  for (const w of workers) w.send('measure')
  await sleep(opts.idle * 1000)
  for (const w of workers) w.send('report')
  const idle = await Promise.all(workers.map((w) => w.next()))
  for (const w of workers) w.send('quit')
  await Promise.all(workers.map((w) => new Promise((resolve) => w.child.once('exit', resolve))))

  const latencies = reports.flatMap((r) => r.latencies as number[]).sort((a, b) => a - b)
  const sumOf = (rs: any[], k: string) => rs.reduce((s, r) => s + (r[k] as number), 0)
  const perProject = opts.clients / opts.projects
  const delivered = writes * perProject
  return {
    mode: live ? 'live' : 'polling',
    clients: opts.clients,
    servers: servers.length,
    writes,
    write_rate: opts.rate,
    delivered: latencies.length,
    expected_deliveries: delivered,
    p50_ms: round(percentile(latencies, 50), 1),
    p95_ms: round(percentile(latencies, 95), 1),
    p99_ms: round(percentile(latencies, 99), 1),
    max_ms: round(latencies.at(-1) ?? NaN, 1),
    pokes_per_write: round(sumOf(reports, 'pokes') / writes, 2),
    pulls_per_write_per_affected_client: round(sumOf(reports, 'pulls') / delivered, 2),
    held_back_pulls_per_write_per_affected_client: round(sumOf(reports, 'heldBackPulls') / delivered, 2),
    idle_requests_per_client_s: round((sumOf(idle, 'requests') + sumOf(idle, 'channelOpens')) / opts.clients / opts.idle, 4),
    server_cpu_pct: after.map((a, i) => round((100 * (a.cpuMs - before[i]!.cpuMs)) / busyWindowMs, 1)),
    server_rss_mb: after.map((a) => round(a.rssBytes / 1024 / 1024, 0)),
    client_cpu_pct: reports.map((r) => round(r.cpuPct as number, 0)),
    client_rss_mb: reports.map((r) => round((r.rssBytes as number) / 1024 / 1024, 0)),
    ready_s: round(readyMs / 1000, 1),
    nextId: id,
  }
}

const pool = new pg.Pool({ connectionString: PG_URL, max: 4 })
const schema = `loadtest_${process.pid}`
await pool.query(`CREATE SCHEMA "${schema}"`)
const servers: ServerProcess[] = []
try {
  for (const sql of liveTables) await pool.query(sql.replace('CREATE TABLE ', `CREATE TABLE "${schema}".`))
  const env = { REPLICA_PG_URL: PG_URL, REPLICA_SCHEMA: schema, REPLICA_SECRET: 'loadtest-secret-0123456789', REPLICA_POOL_MAX: '10' }
  servers.push(await startServerProcess(env), await startServerProcess(env))
  console.log(`loadtest: ${opts.clients} clients in ${opts.workers} processes, 2 servers, ${opts.projects} projects, ${opts.rate} writes/s for ${opts.seconds} s; node ${process.version}`)
  const results = []
  const liveRun = await phase(true, servers, pool, schema, 1)
  results.push(liveRun)
  if (opts.pollingRun) results.push(await phase(false, servers, pool, schema, liveRun.nextId))
  for (const r of results) {
    const { nextId: _, ...line } = r
    console.log(JSON.stringify({ bench: 'loadtest', ...line }))
  }
  console.log(
    table(
      `write-to-Redux, ${opts.clients} clients, 2 servers, ${opts.rate} writes/s`,
      ['mode', 'p50 ms', 'p95 ms', 'p99 ms', 'delivered', 'pokes/write', 'pulls/write/client', 'idle req/client/s', 'server CPU %', 'server RSS MB', 'client procs CPU %'],
      results.map((r) => [
        r.mode,
        fmt(r.p50_ms),
        fmt(r.p95_ms),
        fmt(r.p99_ms),
        `${r.delivered}/${r.expected_deliveries}`,
        fmt(r.pokes_per_write, 2),
        fmt(r.pulls_per_write_per_affected_client, 2),
        fmt(r.idle_requests_per_client_s, 3),
        r.server_cpu_pct.join(' / '),
        r.server_rss_mb.join(' / '),
        r.client_cpu_pct.join(' / '),
      ]),
    ),
  )
} finally {
  await Promise.all(servers.map((s) => s.stop()))
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
  await pool.end()
}
