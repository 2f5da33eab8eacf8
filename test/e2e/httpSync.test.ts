import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collection, createReplica, httpTransport, seedTransport } from '../../src'
import type { Transport } from '../../src'
import { createReplicaWriter, exampleCollections, sqliteSource } from '../../src/server'
import type { ExampleContact, ExampleNote } from '../../src/server'
import { startExampleServer } from '../../examples/server/main'
import { makeStore, waitFor } from '../fixtures/store'

// The client against the reference server, over real HTTP on loopback, in both protocols.
let server: Awaited<ReturnType<typeof startExampleServer>>
let db: Database.Database
let dir: string
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'replica-e2e-'))
  server = await startExampleServer({ file: path.join(dir, 'server.db'), port: 0 })
  db = new Database(server.file)
})
afterAll(async () => {
  db.close()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

const notes = { collection: 'note', filter: { project_id: 1 } }
const contacts = { collection: 'contact', filter: { project_id: 1 } }
const byId = <T extends { id: number }>(rows: readonly T[]) => [...rows].sort((a, b) => a.id - b.id)

/** The server's live rows of a table for project 1, as the given protocol sends them. */
function serverRows(table: string, withVersion: boolean) {
  const rows = db.prepare(`SELECT * FROM ${table} WHERE project_id = 1 AND _deleted = 0 ORDER BY id`).all() as Array<Record<string, unknown>>
  return rows.map(({ _deleted, _version, ...row }) => (withVersion ? { ...row, _version } : row))
}

function client(transport: Transport) {
  const replica = createReplica({
    collections: { note: collection<ExampleNote>(), contact: collection<ExampleContact>() },
    transport,
  })
  const store = makeStore(replica)
  const status = (scope: typeof notes) => replica.selectors.selectSubscription(store.getState(), scope).status
  /** Pulls again now (live polling is the resilience layer's; a fresh subscription pulls at once). */
  async function syncAgain(...scopes: Array<typeof notes>) {
    for (const scope of scopes) {
      store.dispatch(replica.actions.unsubscribe(scope))
      store.dispatch(replica.actions.subscribe(scope))
    }
    await waitFor(store, () => scopes.every((scope) => status(scope) === 'synced'))
  }
  return { replica, store, syncAgain }
}

describe('syncing from the reference server', () => {
  it('in our protocol: exactly the server\'s rows, then updates, deletes, move-outs and inserts converge', async () => {
    const { replica, store, syncAgain } = client(httpTransport({ url: `${server.url}/replica` }))
    store.dispatch(replica.actions.subscribe(notes))
    store.dispatch(replica.actions.subscribe(contacts))
    await waitFor(store, (s) => replica.selectors.selectSubscription(s, notes).status === 'synced' && replica.selectors.selectSubscription(s, contacts).status === 'synced')
    expect(byId(replica.selectors.note.selectAll(store.getState()))).toEqual(serverRows('notes', true))
    expect(byId(replica.selectors.contact.selectAll(store.getState()))).toEqual(serverRows('contacts', true))
    expect(replica.selectors.note.selectTotal(store.getState())).toBe(10_000)

    const writer = createReplicaWriter({ source: sqliteSource({ db }), collections: exampleCollections })
    await writer.update('note', 5, { body: 'edited' })
    await writer.remove('note', 6)
    await writer.update('note', 7, { project_id: 2 })
    await writer.insert('note', { id: 20_001, project_id: 1, contact_id: 1, body: 'new', created_at: '2026-11-28T08:00:00.000000Z' })
    await syncAgain(notes)

    const held = byId(replica.selectors.note.selectAll(store.getState()))
    expect(held).toEqual(serverRows('notes', true))
    expect(replica.selectors.note.selectById(store.getState(), 5)?.body).toBe('edited')
    expect(replica.selectors.note.selectById(store.getState(), 6)).toBeUndefined()
    expect(replica.selectors.note.selectById(store.getState(), 7)).toBeUndefined()
    expect(replica.selectors.note.selectById(store.getState(), 20_001)?.body).toBe('new')
    await store.replica.close()
  })

  it.each([
    ['blog', '/offline/download_updated'],
    ['example repository', '/replicated_db/download_updates'],
  ])('in the 2015 protocol (%s variant): exactly the server\'s rows, and an update arrives', async (_, endpoint) => {
    const { replica, store, syncAgain } = client(seedTransport({ url: `${server.url}${endpoint}` }))
    store.dispatch(replica.actions.subscribe(notes))
    await waitFor(store, (s) => replica.selectors.selectSubscription(s, notes).status === 'synced')
    expect(byId(replica.selectors.note.selectAll(store.getState()))).toEqual(serverRows('notes', false))

    const writer = createReplicaWriter({ source: sqliteSource({ db }), collections: exampleCollections })
    await writer.update('note', 11, { body: `edited for the ${endpoint} client` })
    await syncAgain(notes)
    expect(replica.selectors.note.selectById(store.getState(), 11)?.body).toBe(`edited for the ${endpoint} client`)
    await store.replica.close()
  })
})
