import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { inject } from 'vitest'
import { createReplicaServer, type ReplicaHandler } from '../../src/server/index.js'
import { SYSTEM_POSTGRES_URL } from '../services/postgres'

export const SECRET = 'test-secret-0123456789abcdef'

/** A fresh directory for SQLite files; remove() deletes it. */
export function tempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'replica-server-'))
  return { dir, file: (name: string) => path.join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Serve a handler on loopback, port 0. */
export async function serve(handler: ReplicaHandler) {
  const server = createReplicaServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Idle keep-alive connections of fetch would hold close() for seconds.
        server.closeIdleConnections()
      }),
  }
}

export interface Answer {
  status: number
  body: any
  text: string
  contentType: string | null
}

export async function get(url: string, init?: RequestInit): Promise<Answer> {
  const r = await fetch(url, init)
  const text = await r.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: r.status, body, text, contentType: r.headers.get('content-type') }
}

export const pullUrl = (base: string, q: { collection: string; filter?: unknown; cursor?: string | null; limit?: number }) => {
  const p = new URLSearchParams({ collection: q.collection })
  if (q.filter !== undefined) p.set('filter', JSON.stringify(q.filter))
  if (q.cursor) p.set('cursor', q.cursor)
  if (q.limit !== undefined) p.set('limit', String(q.limit))
  return `${base}/pull?${p}`
}

/** Pull every page of a subscription; checks the answers' shape on the way. */
export async function pullAll(base: string, collection: string, filter: unknown, limit = 250, cursor: string | null = null, init?: RequestInit) {
  const rows: any[] = []
  let pages = 0
  for (;;) {
    const a = await get(pullUrl(base, { collection, filter, cursor, limit }), init)
    if (a.status !== 200) throw new Error(`pull answered ${a.status}: ${a.text}`)
    pages++
    rows.push(...a.body.rows)
    if (a.body.rows.length > limit) throw new Error('page over limit')
    cursor = a.body.cursor
    if (!a.body.hasMore) return { rows, pages, cursor, last: a.body }
  }
}

/** True when rows come in strictly increasing (_version, id) order (ids are numbers here). */
export function inOrder(rows: Array<{ _version: number; id: number }>): boolean {
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]!
    const b = rows[i]!
    if (!(a._version < b._version || (a._version === b._version && a.id < b.id))) return false
  }
  return true
}

/** Apply pulled rows the way the protocol's client does: newer versions win, tombstones remove. */
export function applyRows(held: Map<unknown, any>, rows: any[]) {
  for (const r of rows) {
    const cur = held.get(r.id)
    if (cur && cur._version > r._version) continue
    if (r._deleted) held.delete(r.id)
    else held.set(r.id, r)
  }
}

/**
 * The run's PostgreSQL (test/services/globalSetup.ts): the system's, or one started for the run.
 * Outside vitest (`npm run fuzz`), DATABASE_URL or the system's.
 */
export const PG_URL = process.env.VITEST ? inject('databaseUrl') : (process.env.DATABASE_URL ?? SYSTEM_POSTGRES_URL)

/** A pool plus a schema of its own, dropped by drop(). */
export async function pgSchema(prefix: string) {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 6 })
  const schema = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  await pool.query(`CREATE SCHEMA "${schema}"`)
  return {
    pool,
    schema,
    drop: async () => {
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
      await pool.end()
    },
  }
}

/**
 * Wait until every transaction that began before this call has ended, anywhere in the cluster:
 * from then on a pull serves everything committed so far. The version horizon is cluster-wide,
 * so another test file's short write transaction can hold it back for a moment.
 */
export async function pgSettled(query: (sql: string) => Promise<Array<Record<string, unknown>>>): Promise<void> {
  const [{ next }] = (await query('SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next')) as [{ next: string }]
  for (let i = 0; i < 400; i++) {
    const [{ xmin }] = (await query('SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin')) as [{ xmin: string }]
    if (BigInt(xmin) >= BigInt(next)) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error('the PostgreSQL horizon did not move for 10 s')
}
