import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReplicaHandler, exampleCollections, seedExampleData, sqliteSource } from '../../src/server/index.js'
import { SECRET, get, serve, tempDir } from './helpers.js'

// The 2015 controllers, restated in JavaScript from their Ruby source: where(filter), the cursor
// only when both cursor values are truthy (in Ruby, 0 and '' are), `updated_at > cu OR
// (updated_at = cu AND id > ci)`, order updated_at asc, id asc, limit; the example repository's
// variant adds the count of every row after the cursor.
type Row = { id: number; project_id: number; contact_id: number; body: string; created_at: string; updated_at: string }
function rails(rows: Row[], scope: any, limit: number) {
  const filter = scope.filter ?? {}
  const truthy = (v: unknown) => v !== undefined && v !== null && v !== false
  let data = rows.filter((r) =>
    Object.entries(filter).every(([k, v]) => (Array.isArray(v) ? v.includes((r as any)[k]) : (r as any)[k] === v)),
  )
  if (truthy(scope.lastUpdatedCursor) && truthy(scope.lastIdCursor)) {
    const cu = scope.lastUpdatedCursor
    const ci = scope.lastIdCursor
    data = data.filter((r) => r.updated_at > cu || (r.updated_at === cu && r.id > ci))
  }
  data.sort((a, b) => (a.updated_at < b.updated_at ? -1 : a.updated_at > b.updated_at ? 1 : a.id - b.id))
  return { count: data.length, page: data.slice(0, limit) }
}

const tmp = tempDir()
let db: Database.Database
let server: Awaited<ReturnType<typeof serve>>
let rows: Row[]

beforeAll(async () => {
  db = new Database(tmp.file('seed.db'))
  // 1,200 rows share each timestamp: more than a page of either variant.
  seedExampleData(db, { projects: 2, contacts: 100, notes: 6000, rowsPerTimestamp: 1200 })
  const replica = createReplicaHandler({ source: sqliteSource({ db }), collections: exampleCollections, authorize: () => ({}), cursorSecret: SECRET })
  await replica.ready()
  db.prepare('UPDATE notes SET _deleted = 1 WHERE id % 97 = 0').run()
  rows = db.prepare('SELECT id, project_id, contact_id, body, created_at, updated_at FROM notes WHERE _deleted = 0').all() as Row[]
  server = await serve(replica)
})
afterAll(async () => {
  await server?.close()
  db?.close()
  tmp.remove()
})

const variants = [
  { name: 'blog: /offline/download_updated', path: '/offline/download_updated', key: 'collection', size: 250 },
  { name: 'example repository: /replicated_db/download_updates', path: '/replicated_db/download_updates', key: 'collectionName', size: 1000 },
] as const
const url = (path: string, scope: object) => `${server.base}${path}?scope=${encodeURIComponent(JSON.stringify(scope))}`

describe.each(variants)('2015 endpoint, $name', ({ path, key, size }) => {
  it.each([
    ['no filter', undefined],
    ['project 1', { project_id: 1 }],
    ['contacts IN', { contact_id: [1, 2, 3, 50, 99] }],
  ])('pages exactly like the Rails controller, %s', async (_name, filter) => {
    let lastIdCursor: unknown = null
    let lastUpdatedCursor: unknown = null
    let pages = 0
    let insideOneTimestamp = 0
    for (;;) {
      const scope = { [key]: 'note', filter, lastIdCursor, lastUpdatedCursor }
      const a = await get(url(path, scope))
      expect(a.status).toBe(200)
      const want = rails(rows, { filter, lastIdCursor, lastUpdatedCursor }, size)
      const data = key === 'collection' ? a.body : a.body.data
      if (key === 'collection') {
        expect(Array.isArray(a.body)).toBe(true)
      } else {
        expect(Object.keys(a.body)).toEqual(['availableUpdatesCount', 'data'])
        expect(a.body.availableUpdatesCount).toBe(want.count)
      }
      expect(data).toEqual(want.page)
      pages++
      if (data.length === 0) break
      const last = data.at(-1)
      if (last.updated_at === lastUpdatedCursor) insideOneTimestamp++
      // Echo the cursor exactly as sent: a string with microseconds.
      lastIdCursor = last.id
      lastUpdatedCursor = last.updated_at
      expect(lastUpdatedCursor).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    }
    const all = rails(rows, { filter }, Infinity).page
    expect(pages).toBe(Math.ceil(all.length / size) + 1) // the end is an empty page
    // Where more rows than a page share one timestamp, some page ended inside that run and the
    // next one continued from the echoed microsecond cursor.
    const runs = new Map<string, number>()
    for (const r of all) runs.set(r.updated_at, (runs.get(r.updated_at) ?? 0) + 1)
    if (Math.max(...runs.values()) > size) expect(insideOneTimestamp).toBeGreaterThan(0)
  })

  it('rows carry the record fields only, not the replica bookkeeping', async () => {
    const a = await get(url(path, { [key]: 'note' }))
    const first = key === 'collection' ? a.body[0] : a.body.data[0]
    expect(Object.keys(first)).toEqual(['id', 'project_id', 'contact_id', 'body', 'created_at', 'updated_at'])
  })
})

describe('2015 cursor semantics', () => {
  const off = (scope: object) => get(url('/offline/download_updated', { collection: 'note', ...scope }))

  it('microseconds matter: a cursor cut to milliseconds lands elsewhere (the 2015 stall)', async () => {
    const first = (await off({})).body
    const last = first.at(-1)
    const exact = (await off({ lastIdCursor: last.id, lastUpdatedCursor: last.updated_at })).body
    expect(exact).toEqual(rails(rows, { lastIdCursor: last.id, lastUpdatedCursor: last.updated_at }, 250).page)
    const cut = last.updated_at.replace(/(\.\d{3})\d{3}Z$/, '$1Z')
    const truncated = (await off({ lastIdCursor: last.id, lastUpdatedCursor: cut })).body
    expect(truncated).not.toEqual(exact)
  })

  it('a cursor with fewer fraction digits or +00:00 is read like DateTime.parse would', async () => {
    const a = (await off({ lastIdCursor: 5, lastUpdatedCursor: '2015-03-19T20:14:25.016580Z' })).body
    const b = (await off({ lastIdCursor: 5, lastUpdatedCursor: '2015-03-19 20:14:25.01658+00:00' })).body
    expect(b).toEqual(a)
  })

  it('Ruby truthiness: lastIdCursor 0 applies the cursor, a missing one ignores it', async () => {
    const ts = rows.map((r) => r.updated_at).sort()[3000]!
    const withZero = (await off({ lastIdCursor: 0, lastUpdatedCursor: ts })).body
    expect(withZero).toEqual(rails(rows, { lastIdCursor: 0, lastUpdatedCursor: ts }, 250).page)
    const withoutId = (await off({ lastIdCursor: null, lastUpdatedCursor: ts })).body
    expect(withoutId).toEqual(rails(rows, {}, 250).page)
  })

  it('soft-deleted rows are not served (the 2015 protocol has no tombstones)', async () => {
    const all: Row[] = []
    let scope: any = {}
    for (;;) {
      const page = (await off(scope)).body
      if (page.length === 0) break
      all.push(...page)
      scope = { lastIdCursor: page.at(-1).id, lastUpdatedCursor: page.at(-1).updated_at }
    }
    expect(all.length).toBe(rows.length)
    expect(all.some((r) => r.id % 97 === 0)).toBe(false)
  })
})
