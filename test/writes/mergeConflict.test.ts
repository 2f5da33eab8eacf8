import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collection, mergeFields } from '../../src'
import type { ConflictInfo } from '../../src'
import { createReplicaHandler, sqliteSource } from '../../src/server/index.js'
import { waitFor } from '../fixtures/store'
import { serve, tempDir } from '../server/helpers'
import { fileClient } from './fileClient'

// A three-way merge against the reference server over SQLite, through real HTTP on loopback, with
// a client that keeps its database in a file and restarts between the edit and the push.
interface Note {
  id: string
  project_id: number
  title: string
  body: string
  _version?: number
}

const tmp = tempDir()
const db = new Database(':memory:')
db.exec('CREATE TABLE notes (id TEXT PRIMARY KEY, project_id INTEGER NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL)')
const handler = createReplicaHandler({
  source: sqliteSource({ db }),
  collections: { note: { table: 'notes', filterable: ['project_id'], writable: ['project_id', 'title', 'body'] } },
  basePath: '/replica',
  cursorSecret: 'test-secret-0123456789abcdef',
  authorize: () => ({}), // one trusted caller: the test is about merging
})
let http: Awaited<ReturnType<typeof serve>>
beforeAll(async () => {
  await handler.ready()
  http = await serve(handler)
})
afterAll(async () => {
  await http?.close()
  db.close()
  tmp.remove()
})

const notes = { collection: 'note', filter: { project_id: 1 } }

function client(file: string, online: boolean, seen: Array<ConflictInfo<Note>>) {
  const merge = mergeFields<Note>()
  const c = fileClient({
    url: `${http.base}/replica`,
    file,
    online,
    collections: { note: collection<Note>() },
    onConflict: (conflict) => {
      seen.push(structuredClone(conflict))
      return merge(conflict)
    },
  })
  return { ...c, note: (id: string) => c.replica.selectors.note.selectById(c.store.getState(), id) }
}

const serverNote = (id: string) => db.prepare('SELECT id, project_id, title, body FROM notes WHERE id = ?').get(id)

describe('onConflict with mergeFields', () => {
  it("keeps the user's offline edit to body and the server's edit to title; the base survives a restart", async () => {
    db.prepare("INSERT INTO notes (id, project_id, title, body) VALUES ('n1', 1, 'Draft', 'first words')").run()
    const file = path.join(tmp.dir, 'notes.db')
    const seen: Array<ConflictInfo<Note>> = []

    const first = client(file, true, seen)
    first.store.dispatch(first.replica.actions.subscribe(notes))
    await waitFor(first.store, (s) => first.replica.selectors.selectSubscription(s, notes).status === 'synced')
    const base = first.note('n1')!
    expect(base).toMatchObject({ title: 'Draft', body: 'first words' })
    first.onlineManager.setOnline(false)
    first.store.dispatch(first.replica.actions.save({ collection: 'note', key: 'n1', patch: { body: 'first words, and more' } }))
    await first.store.replica.close() // the app quits while offline, the edit unsent

    // Meanwhile someone renames the note on the server.
    db.prepare("UPDATE notes SET title = 'Final' WHERE id = 'n1'").run()

    const second = client(file, true, seen)
    await second.store.replica.whenHydrated()
    expect(second.note('n1')).toMatchObject({ title: 'Draft', body: 'first words, and more' })
    await second.settled()

    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({
      collection: 'note',
      base, // read back from the file: the row the edit was made on, with its version
      local: { id: 'n1', project_id: 1, title: 'Draft', body: 'first words, and more' },
      server: { id: 'n1', title: 'Final', body: 'first words' },
    })
    expect(serverNote('n1')).toEqual({ id: 'n1', project_id: 1, title: 'Final', body: 'first words, and more' })
    expect(second.note('n1')).toMatchObject({ title: 'Final', body: 'first words, and more', _version: expect.any(Number) })
    expect(second.replica.selectors.selectWrites(second.store.getState()).conflicts).toBe(1)
    await second.store.replica.close()
  })

  it('a field both sides changed goes to the server by default; nothing is sent again when no local change is left', async () => {
    db.prepare("INSERT INTO notes (id, project_id, title, body) VALUES ('n2', 1, 'Plan', 'v1')").run()
    const seen: Array<ConflictInfo<Note>> = []
    const one = client(path.join(tmp.dir, 'both.db'), true, seen)
    one.store.dispatch(one.replica.actions.subscribe(notes))
    await waitFor(one.store, (s) => one.replica.selectors.selectSubscription(s, notes).status === 'synced')
    one.onlineManager.setOnline(false)
    one.store.dispatch(one.replica.actions.save({ collection: 'note', key: 'n2', patch: { body: 'mine' } }))
    db.prepare("UPDATE notes SET body = 'theirs' WHERE id = 'n2'").run()
    const mutationsBefore = db.prepare('SELECT count(*) FROM _replica_mutations').pluck().get() as number
    one.onlineManager.setOnline(true)
    await one.settled()
    expect(seen).toHaveLength(1)
    expect(serverNote('n2')).toMatchObject({ body: 'theirs' })
    expect(one.note('n2')).toMatchObject({ body: 'theirs' })
    // One mutation (the conflicting one); no resend.
    expect(db.prepare('SELECT count(*) FROM _replica_mutations').pluck().get()).toBe(mutationsBefore + 1)
    await one.store.replica.close()
  })
})
