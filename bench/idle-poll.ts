/**
 * An idle poll (a caught-up pull that brings nothing) and a digest at 100k rows on PostgreSQL,
 * over loopback HTTP: medians of 300 polls and 15 digests, per filter. Run:
 * npx tsx bench/idle-poll.ts [path to src/server/index.ts] (another path measures another build)
 */
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
const entry = path.resolve(process.argv[2] ?? 'src/server/index.ts')
const server = await import(entry)
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 6 })
const schema = `idle_${process.pid}`
await pool.query(`CREATE SCHEMA "${schema}"`)
try {
  await server.seedExampleDataPostgres(pool, schema, { projects: 3, contacts: 300, notes: 100_000 })
  const source = server.postgresSource({ pool, schema })
  const replica = server.createReplicaHandler({ source, collections: server.exampleCollections, authorize: () => ({}), cursorSecret: 'bench-secret-0123456789abcdef' })
  await replica.ready()
  // Some history after the install: 3,000 updates in 30 transactions, a few moves and deletes.
  for (let i = 0; i < 30; i++) await pool.query(`UPDATE "${schema}".notes SET body = body || '!' WHERE id % 1000 = $1`, [i])
  await pool.query(`UPDATE "${schema}".notes SET project_id = 2 WHERE id % 997 = 0 AND project_id = 1`)
  await pool.query(`DELETE FROM "${schema}".notes WHERE id % 991 = 0`)
  await pool.query(`VACUUM ANALYZE "${schema}".notes`)
  const http = server.createReplicaServer(replica)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  for (const filter of [{}, { project_id: 1 }, { project_id: 1, contact_id: 4 }]) {
    const f = encodeURIComponent(JSON.stringify(filter))
    let cursor: string | null = null
    for (;;) {
      const page: any = await (await fetch(`${base}/pull?collection=note&filter=${f}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json()
      cursor = page.cursor ?? cursor
      if (!page.hasMore) break
    }
    const time = async (url: string, n: number) => {
      const ms: number[] = []
      for (let i = 0; i < n; i++) {
        const t = performance.now()
        const r = await fetch(url)
        await r.text()
        if (r.status !== 200) throw new Error(`${r.status}`)
        ms.push(performance.now() - t)
      }
      return +median(ms).toFixed(2)
    }
    await time(`${base}/pull?collection=note&filter=${f}&cursor=${cursor}`, 50)
    const idle = await time(`${base}/pull?collection=note&filter=${f}&cursor=${cursor}`, 300)
    const digest = await time(`${base}/digest?collection=note&filter=${f}&cursor=${cursor}`, 15)
    const answer = await (await fetch(`${base}/digest?collection=note&filter=${f}&cursor=${cursor}`)).json()
    console.log(JSON.stringify({ filter, idlePollMs: idle, digestMs: digest, answer }))
  }
  http.close()
} finally {
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
  await pool.end()
}
