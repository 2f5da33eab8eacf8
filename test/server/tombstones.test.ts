import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createReplicaHandler,
  createReplicaWriter,
  exampleCollections,
  seedExampleData,
  sqliteSource,
  type ReplicaWriter,
} from '../../src/server/index.js'
import { SECRET, applyRows, inOrder, pullAll, serve, tempDir } from './helpers.js'

// Three subscribers hold notes of project 1, of project 2, and all notes. Writes go through the
// helper and around it (raw SQL); after each round every subscriber pulls from its cursor and must
// hold exactly the live rows its filter matches, at the database's versions.
const tmp = tempDir()
let db: Database.Database
let writer: ReplicaWriter
let server: Awaited<ReturnType<typeof serve>>

type Sub = { filter: Record<string, unknown>; where: string; cursor: string | null; held: Map<unknown, any>; received: any[] }
const subs: Record<'p1' | 'p2' | 'all', Sub> = {
  p1: { filter: { project_id: 1 }, where: 'project_id = 1', cursor: null, held: new Map(), received: [] },
  p2: { filter: { project_id: 2 }, where: 'project_id = 2', cursor: null, held: new Map(), received: [] },
  all: { filter: {}, where: '1', cursor: null, held: new Map(), received: [] },
}

async function sync(sub: Sub) {
  const { rows, cursor } = await pullAll(server.base, 'note', sub.filter, 7, sub.cursor)
  expect(inOrder(rows)).toBe(true)
  sub.cursor = cursor
  sub.received = rows
  applyRows(sub.held, rows)
  return rows
}

function expectConverged(sub: Sub) {
  const live = db
    .prepare(`SELECT id, project_id, contact_id, body, created_at, updated_at, _version FROM notes WHERE ${sub.where} AND _deleted = 0 ORDER BY id`)
    .all()
  expect([...sub.held.values()].sort((a, b) => a.id - b.id)).toEqual(live)
}

const version = (id: number) => db.prepare('SELECT _version FROM notes WHERE id = ?').pluck().get(id) as number
const maxVersion = () => Math.max(...(db.prepare('SELECT _version FROM notes').pluck().all() as number[]))

beforeAll(async () => {
  db = new Database(tmp.file('tombstones.db'))
  seedExampleData(db, { projects: 2, contacts: 10, notes: 40 })
  const source = sqliteSource({ db })
  const replica = createReplicaHandler({ source, collections: exampleCollections, authorize: () => ({}), cursorSecret: SECRET })
  writer = createReplicaWriter({ source, collections: exampleCollections })
  await replica.ready()
  server = await serve(replica)
  for (const sub of Object.values(subs)) await sync(sub)
})
afterAll(async () => {
  await server?.close()
  db?.close()
  tmp.remove()
})

describe('deletes and move-outs arrive as tombstones (SQLite)', () => {
  it('starts converged', () => {
    for (const sub of Object.values(subs)) expectConverged(sub)
    expect(subs.p1.held.size).toBe(20)
  })

  it('helper remove: a soft delete, sent as {id, _version, _deleted: true} to those who held the row', async () => {
    const before = maxVersion()
    const tomb = await writer.remove('note', 1) // project 1
    expect(tomb).toEqual({ id: 1, _version: before + 1, _deleted: true })
    const r1 = await sync(subs.p1)
    expect(r1).toEqual([{ id: 1, _version: before + 1, _deleted: true }])
    expect(await sync(subs.p2)).toEqual([])
    expect(await sync(subs.all)).toEqual([{ id: 1, _version: before + 1, _deleted: true }])
    expect(await writer.remove('note', 1)).toBeNull()
    for (const sub of Object.values(subs)) expectConverged(sub)
  })

  it('raw DELETE: the trigger logs a tombstone', async () => {
    const before = maxVersion()
    db.prepare('DELETE FROM notes WHERE id = 3').run() // project 1
    expect(await sync(subs.p1)).toEqual([{ id: 3, _version: before + 1, _deleted: true }])
    expect(await sync(subs.all)).toEqual([{ id: 3, _version: before + 1, _deleted: true }])
    expect(await sync(subs.p2)).toEqual([])
  })

  it('helper update that moves a row out of a filter: tombstone for the old filter, row for the new', async () => {
    const moved = await writer.update('note', 5, { project_id: 2 })
    expect(moved!.project_id).toBe(2)
    const r1 = await sync(subs.p1)
    expect(r1).toEqual([{ id: 5, _version: moved!._version, _deleted: true }])
    const r2 = await sync(subs.p2)
    expect(r2).toEqual([moved])
    // The unfiltered subscription saw an ordinary update, not a tombstone.
    expect(await sync(subs.all)).toEqual([moved])
  })

  it('raw UPDATE that moves a row (bypassing the helper) is caught by the trigger too', async () => {
    db.prepare('UPDATE notes SET project_id = 1 WHERE id = 2').run() // 2 -> 1
    const v = version(2)
    expect(await sync(subs.p2)).toEqual([{ id: 2, _version: v, _deleted: true }])
    const r1 = await sync(subs.p1)
    expect(r1.map((r) => [r.id, r._version, r._deleted ?? false])).toEqual([[2, v, false]])
    expect((await sync(subs.all)).map((r) => r.id)).toEqual([2])
  })

  it('raw INSERT and UPDATE get fresh versions above every cursor', async () => {
    const before = maxVersion()
    db.prepare(
      "INSERT INTO notes (id, project_id, contact_id, body, created_at, updated_at) VALUES (1000, 1, 1, 'raw', '2015-03-19T20:14:26.000001Z', '2015-03-19T20:14:26.000001Z')",
    ).run()
    expect(version(1000)).toBe(before + 1)
    db.prepare("UPDATE notes SET body = 'raw edit' WHERE id = 7").run()
    expect(version(7)).toBe(before + 2)
    // An update that tries to set _version itself is overridden.
    db.prepare('UPDATE notes SET _version = 1 WHERE id = 9').run()
    expect(version(9)).toBe(before + 3)
    const r1 = await sync(subs.p1)
    expect(r1.map((r) => [r.id, r._version])).toEqual([[1000, before + 1], [7, before + 2], [9, before + 3]])
    expect(r1.find((r) => r.id === 7).body).toBe('raw edit')
  })

  it('changing the primary key: a tombstone for the old key, a row for the new one', async () => {
    db.prepare('UPDATE notes SET id = 2000 WHERE id = 11').run() // project 1
    const r1 = await sync(subs.p1)
    expect(r1.map((r) => [r.id, r._deleted ?? false])).toEqual([[11, true], [2000, false]])
  })

  it('several writes in one transaction, moves back and forth included', async () => {
    db.transaction(() => {
      db.prepare('UPDATE notes SET project_id = 2 WHERE id = 13').run()
      db.prepare('UPDATE notes SET project_id = 1 WHERE id = 13').run()
      db.prepare('UPDATE notes SET project_id = 2 WHERE id IN (15, 17)').run()
      db.prepare('DELETE FROM notes WHERE project_id = 2 AND id = 4').run()
    })()
    for (const sub of Object.values(subs)) await sync(sub)
    for (const sub of Object.values(subs)) expectConverged(sub)
  })

  it('a soft-deleted row brought back by an update arrives again', async () => {
    db.prepare('UPDATE notes SET _deleted = 0 WHERE id = 1').run()
    await sync(subs.p1)
    expect(subs.p1.held.has(1)).toBe(true)
    for (const sub of Object.values(subs)) {
      await sync(sub)
      expectConverged(sub)
    }
  })

  it('a fresh subscriber gets only tombstones for rows it could have held, and converges', async () => {
    const fresh: Sub = { filter: { project_id: 1 }, where: 'project_id = 1', cursor: null, held: new Map(), received: [] }
    await sync(fresh)
    expectConverged(fresh)
    // Every tombstone it saw is for a row that once matched project 1 (the odd ids, in this data).
    const tombIds = fresh.received.filter((r) => r._deleted).map((r) => r.id)
    expect(tombIds.length).toBeGreaterThan(0)
    for (const id of tombIds) expect(id % 2).toBe(1)
  })
})
