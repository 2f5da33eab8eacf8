import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReplicaHandler, postgresSource, type MutationResult, type WireMutation } from '../../src/server/index.js'
import { get, pgSchema, serve } from '../server/helpers.js'
import { todoAuthorize, todoCollections } from './serverFixture.js'

// The push endpoint over PostgreSQL, in a schema of its own.
let db: Awaited<ReturnType<typeof pgSchema>>
let http: Awaited<ReturnType<typeof serve>>
let S: string
const q = async (sql: string, values?: unknown[]) => (await db.pool.query(sql, values)).rows

beforeAll(async () => {
  db = await pgSchema('replica_push')
  S = `"${db.schema}"`
  await q(`CREATE TABLE ${S}.todos (id text PRIMARY KEY, list_id integer NOT NULL, title text NOT NULL CHECK (length(title) < 100),
    done boolean NOT NULL DEFAULT false, created_at text, updated_at text)`)
  await q(`CREATE TABLE ${S}.labels (id integer PRIMARY KEY, list_id integer NOT NULL, name text)`)
  const handler = createReplicaHandler({
    source: postgresSource({ pool: db.pool, schema: db.schema }),
    collections: todoCollections,
    authorize: todoAuthorize,
    basePath: '/replica',
    cursorSecret: 'test-secret-0123456789abcdef',
    onError: (e) => {
      throw new Error(`unexpected 500: ${String(e)}`)
    },
  })
  await handler.ready()
  http = await serve(handler)
})
afterAll(async () => {
  await http?.close()
  await db?.drop()
})

let n = 0
const newId = () => `pg-${++n}-${Math.random().toString(36).slice(2)}`
const upsert = (key: string, row: Record<string, unknown>, baseVersion: number | null, id = newId()): WireMutation =>
  ({ id, collection: 'todo', op: 'upsert', key, row: { id: key, ...row } as never, baseVersion })
const del = (key: string, baseVersion: number | null): WireMutation => ({ id: newId(), collection: 'todo', op: 'delete', key, baseVersion })
async function results(mutations: unknown[], token?: string): Promise<MutationResult[]> {
  const answer = await get(`${http.base}/replica/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ mutations }),
  })
  expect(answer.status, answer.text).toBe(200)
  return answer.body.results
}
const version = (r: MutationResult | undefined) => (r as { version: number }).version
const row = async (id: string) => (await q(`SELECT * FROM ${S}.todos WHERE id = $1`, [id]))[0]

describe('push over PostgreSQL', () => {
  it('inserts, updates, deletes; versions are the writing transaction ids; the pull agrees', async () => {
    const [a] = await results([upsert('a', { list_id: 1, title: 'milk' }, null)])
    expect(a).toMatchObject({ status: 'applied', row: { id: 'a', title: 'milk', done: false } })
    expect(Number((await row('a'))._version)).toBe(version(a))
    const [b] = await results([upsert('a', { list_id: 1, title: 'oat milk', done: true }, version(a))])
    expect(b).toMatchObject({ status: 'applied', row: { title: 'oat milk', done: true } })
    expect(version(b)).toBeGreaterThan(version(a))
    const [c] = await results([del('a', version(b))])
    expect(c).toMatchObject({ status: 'applied', row: null })
    // The horizon is cluster-wide: a transaction another test file holds open keeps the tombstone
    // back until it ends, and the pull says so.
    let pulled = await get(`${http.base}/replica/pull?collection=todo`)
    for (let waited = 0; pulled.body.heldBack === true && waited < 200; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      pulled = await get(`${http.base}/replica/pull?collection=todo`)
    }
    expect(pulled.body.rows).toContainEqual({ id: 'a', _version: version(c), _deleted: true })
  })

  it('a resent id is answered from the record; two concurrent requests with one id apply it once', async () => {
    const m = upsert('once', { list_id: 1, title: 'first' }, null)
    const [first, second] = await Promise.all([results([m]), results([m])])
    expect(first).toEqual(second)
    expect(first![0]).toMatchObject({ status: 'applied' })
    expect(await results([m])).toEqual(first)
    expect(Number((await row('once'))._version)).toBe(version(first![0]))
    expect((await q(`SELECT count(*)::int AS n FROM ${S}._replica_mutations WHERE id = $1`, [m.id]))[0].n).toBe(1)
  })

  it('conflicts carry the server row; scope and constraints reject per mutation and the batch goes on', async () => {
    const [a] = await results([upsert('c', { list_id: 1, title: 'base' }, null)])
    await q(`UPDATE ${S}.todos SET title = 'theirs' WHERE id = 'c'`)
    const [conflict, outside, tooLong, next] = await results(
      [
        upsert('c', { list_id: 1, title: 'mine' }, version(a)),
        upsert('x', { list_id: 2, title: 'sneaky' }, null),
        upsert('y', { list_id: 1, title: 'x'.repeat(200) }, null),
        upsert('z', { list_id: 1, title: 'fine' }, null),
      ],
      'l1',
    )
    expect(conflict).toMatchObject({ status: 'conflict', row: { title: 'theirs' } })
    expect(outside).toMatchObject({ status: 'rejected', error: { code: 'forbidden' } })
    expect(tooLong).toMatchObject({ status: 'rejected', error: { code: 'constraint' } })
    expect(next).toMatchObject({ status: 'applied' })
    expect(await row('x')).toBeUndefined()
    expect(await row('y')).toBeUndefined()
    // onConflict 'client': a new mutation based on the server's version wins.
    const [won] = await results([upsert('c', { list_id: 1, title: 'mine' }, version(conflict))], 'l1')
    expect(won).toMatchObject({ status: 'applied', row: { title: 'mine' } })
  })

  it('hostile values are bound, never built into SQL', async () => {
    const evil = "x'); DROP TABLE todos; --"
    const [r, bad] = await results([
      upsert(evil, { list_id: 1, title: evil }, null),
      { id: newId(), collection: 'todo', op: 'upsert', key: 'h', row: { id: 'h', list_id: 1e400, title: 't' }, baseVersion: null },
    ])
    expect(r).toMatchObject({ status: 'applied', row: { id: evil, title: evil } })
    expect(bad).toMatchObject({ status: 'rejected' })
    expect(Number((await q(`SELECT count(*) AS n FROM ${S}.todos`))[0].n)).toBeGreaterThan(0)
  })
})
