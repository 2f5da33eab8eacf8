import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReplicaHandler, exampleCollections, seedExampleData, sqliteSource } from '../../src/server/index.js'
import { SECRET, inOrder, pullAll, serve, tempDir } from './helpers.js'

// 100,000 notes over 5 projects, 1,500 rows to each updated_at (300 per project) (two timestamps per millisecond).
// They are written before the replica install (which numbers them in id order), then 5,000 get
// updated (new versions, so version order differs from id order) and 1,000 soft-deleted.
const N = 100_000
const tmp = tempDir()
let db: Database.Database
let server: Awaited<ReturnType<typeof serve>>
const contacts = Array.from({ length: 40 }, (_, i) => i * 7 + 3)

beforeAll(async () => {
  db = new Database(tmp.file('paging.db'))
  db.pragma('journal_mode = WAL')
  seedExampleData(db, { projects: 5, contacts: 1000, notes: N, rowsPerTimestamp: 1500 })
  const source = sqliteSource({ db })
  const replica = createReplicaHandler({ source, collections: exampleCollections, authorize: () => ({}), cursorSecret: SECRET })
  await replica.ready()
  db.transaction(() => {
    for (let id = 17; id <= N; id += 20) db.prepare('UPDATE notes SET body = body || ? WHERE id = ?').run('!', id)
    for (let id = 33; id <= N; id += 100) db.prepare('UPDATE notes SET _deleted = 1 WHERE id = ?').run(id)
  })()
  server = await serve(replica)
})
afterAll(async () => {
  await server?.close()
  db?.close()
  tmp.remove()
})

const cases: Array<[string, Record<string, unknown>, string]> = [
  ['no filter', {}, '1'],
  ['one project', { project_id: 1 }, 'project_id = 1'],
  ['two projects (IN)', { project_id: [2, 4] }, 'project_id IN (2, 4)'],
  ['40 contacts (IN)', { contact_id: contacts }, `contact_id IN (${contacts.join(',')})`],
  ['project and contacts', { project_id: 3, contact_id: contacts }, `project_id = 3 AND contact_id IN (${contacts.join(',')})`],
]

describe('SQLite: paging 100,000 rows in pages of 250', () => {
  it.each(cases)('%s: every row exactly once, in (_version, id) order', async (_name, filter, where) => {
    const { rows, pages } = await pullAll(server.base, 'note', filter, 250)
    const expected = db.prepare(`SELECT id, _version, _deleted FROM notes WHERE ${where} ORDER BY _version, id`).all() as any[]
    expect(rows.length).toBe(expected.length)
    // hasMore looks one row ahead, so the last page is the last full or partial page, not an empty one.
    expect(pages).toBe(Math.ceil(expected.length / 250))
    expect(inOrder(rows)).toBe(true)
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length)
    expect(rows.map((r) => [r.id, r._version, r._deleted === true])).toEqual(expected.map((e) => [e.id, e._version, e._deleted === 1]))
  })

  it.each(cases)('%s: the 2015 endpoint pages through the same rows, microsecond cursors echoed', async (_name, filter, where) => {
    const expected = db
      .prepare(`SELECT id, updated_at FROM notes WHERE ${where} AND _deleted = 0 ORDER BY updated_at, id`)
      .all() as Array<{ id: number; updated_at: string }>
    // Many page boundaries fall inside a run of rows sharing one timestamp.
    const runs = new Map<string, number>()
    for (const e of expected) runs.set(e.updated_at, (runs.get(e.updated_at) ?? 0) + 1)
    const got: Array<{ id: number; updated_at: string }> = []
    let lastIdCursor: number | null = null
    let lastUpdatedCursor: string | null = null
    let pagesInsideARun = 0
    for (;;) {
      const scope = JSON.stringify({ collection: 'note', filter, lastIdCursor, lastUpdatedCursor })
      const page = (await (await fetch(`${server.base}/offline/download_updated?scope=${encodeURIComponent(scope)}`)).json()) as any[]
      if (page.length === 0) break
      expect(page.length).toBeLessThanOrEqual(250)
      got.push(...page)
      const lastRow = page.at(-1)
      if (lastUpdatedCursor === lastRow.updated_at) pagesInsideARun++
      lastIdCursor = lastRow.id
      lastUpdatedCursor = lastRow.updated_at
    }
    expect(got.map((r) => [r.id, r.updated_at])).toEqual(expected.map((e) => [e.id, e.updated_at]))
    if (expected.length > 5000) {
      expect(Math.max(...runs.values())).toBeGreaterThan(250)
      expect(pagesInsideARun).toBeGreaterThan(0)
    }
  })

  it('live rows are whole rows, tombstones only key, version and flag', async () => {
    const { rows } = await pullAll(server.base, 'note', { project_id: 3 }, 1000)
    const live = rows.find((r) => !r._deleted)
    const dead = rows.find((r) => r._deleted)
    expect(Object.keys(live).sort()).toEqual(['_version', 'body', 'contact_id', 'created_at', 'id', 'project_id', 'updated_at'])
    expect(dead).toEqual({ id: dead.id, _version: dead._version, _deleted: true })
    const stored = db.prepare('SELECT id, project_id, contact_id, body, created_at, updated_at, _version FROM notes WHERE id = ?').get(live.id)
    expect(live).toEqual(stored)
  })

  it('remaining counts the rows after each page', async () => {
    const total = (db.prepare('SELECT count(*) FROM notes WHERE project_id = 2').pluck().get() as number)
    const res = await fetch(`${server.base}/pull?collection=note&limit=250&filter=${encodeURIComponent('{"project_id":2}')}`)
    const body = await res.json()
    expect(body.remaining).toBe(total - 250)
  })
})
