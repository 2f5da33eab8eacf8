import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ReplicaError,
  createReplicaHandler,
  exampleCollections,
  seedExampleData,
  sqliteSource,
  type Authorize,
  type Scope,
} from '../../src/server/index.js'
import { SECRET, get, pullAll, serve, tempDir } from './helpers.js'

// Callers by token: 'p1' may read project 1, 'p13' projects 1 and 3, 'banned' is known but refused,
// 'throws' is refused with a custom error; no token is 401.
const authorize: Authorize = (req, { collection }) => {
  const token = req.headers.get('authorization')
  if (!token) return null
  if (token === 'Bearer banned') return false
  if (token === 'Bearer throws') throw new ReplicaError(403, 'forbidden', 'suspended account')
  const projects = token === 'Bearer p1' ? [1] : token === 'Bearer p13' ? [1, 3] : null
  if (!projects) return null
  const scope: Scope = collection === 'project' ? { id: projects } : { project_id: projects }
  return scope
}

const tmp = tempDir()
let db: Database.Database
let server: Awaited<ReturnType<typeof serve>>
const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

beforeAll(async () => {
  db = new Database(tmp.file('auth.db'))
  seedExampleData(db, { projects: 3, contacts: 30, notes: 3000 })
  const replica = createReplicaHandler({ source: sqliteSource({ db }), collections: exampleCollections, authorize, cursorSecret: SECRET })
  server = await serve(replica)
})
afterAll(async () => {
  await server?.close()
  db?.close()
  tmp.remove()
})

const seedUrl = (scope: object, path = '/offline/download_updated') => `${server.base}${path}?scope=${encodeURIComponent(JSON.stringify(scope))}`

describe('authorization', () => {
  it.each([
    ['no filter', {}, '1'],
    ['its own project', { project_id: 1 }, 'project_id = 1'],
    ['another project', { project_id: 2 }, 'project_id = 2'],
    ['both projects (IN)', { project_id: [1, 2] }, 'project_id IN (1, 2)'],
    ['other projects only (IN)', { project_id: [2, 3] }, 'project_id IN (2, 3)'],
    ['a contact of another project', { contact_id: 2 }, 'contact_id = 2'],
  ])('a caller scoped to project 1 never gets a row of project 2: %s', async (_name, filter, where) => {
    const { rows } = await pullAll(server.base, 'note', filter, 250, null, as('p1'))
    for (const r of rows) expect(r.project_id).toBe(1)
    expect(rows.length).toBe(db.prepare(`SELECT count(*) FROM notes WHERE project_id = 1 AND ${where}`).pluck().get())
  })

  it('the scope narrows an IN filter to its intersection', async () => {
    const { rows } = await pullAll(server.base, 'note', { project_id: [1, 2, 3] }, 250, null, as('p13'))
    expect(new Set(rows.map((r) => r.project_id))).toEqual(new Set([1, 3]))
    expect(rows.length).toBe(db.prepare('SELECT count(*) FROM notes WHERE project_id IN (1, 3)').pluck().get())
  })

  it('per-collection scopes: the project collection is scoped by id', async () => {
    const { rows } = await pullAll(server.base, 'project', {}, 250, null, as('p1'))
    expect(rows.map((r) => r.id)).toEqual([1])
  })

  it('the 2015 endpoints honour the scope too', async () => {
    const a = await get(seedUrl({ collection: 'note', filter: { project_id: [1, 2] } }), as('p1'))
    expect(a.status).toBe(200)
    expect(a.body.length).toBe(250)
    for (const r of a.body) expect(r.project_id).toBe(1)
    const b = await get(seedUrl({ collectionName: 'note', filter: { project_id: 2 } }, '/replicated_db/download_updates'), as('p1'))
    expect(b.body).toEqual({ availableUpdatesCount: 0, data: [] })
  })

  it('a row moved out of the caller scope arrives as a tombstone', async () => {
    const { cursor } = await pullAll(server.base, 'note', {}, 1000, null, as('p1'))
    db.prepare('UPDATE notes SET project_id = 2 WHERE id = 1').run()
    const { rows } = await pullAll(server.base, 'note', {}, 1000, cursor, as('p1'))
    expect(rows).toEqual([{ id: 1, _version: rows[0]._version, _deleted: true }])
  })

  it.each([
    ['no credentials', {}, 401, 'unauthorized'],
    ['unknown token', as('nobody'), 401, 'unauthorized'],
    ['refused caller', as('banned'), 403, 'forbidden'],
    ['authorize throws a ReplicaError', as('throws'), 403, 'forbidden'],
  ])('%s → %i', async (_name, init, status, code) => {
    for (const url of [`${server.base}/pull?collection=note`, `${server.base}/pull?collection=nope`, seedUrl({ collection: 'note' })]) {
      const a = await get(url, init)
      expect(a.status).toBe(status)
      expect(a.body.error.code).toBe(code)
    }
  })

  it('refusals tell nothing about which collections exist', async () => {
    const a = await get(`${server.base}/pull?collection=secret_table`)
    expect(a.status).toBe(401)
  })
})
