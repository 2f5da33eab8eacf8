import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FORMAT_VERSION, indexedDbPersistence } from '../../src'
import { openLocalStore } from '../../src/store/localStore'
import type { Change } from '../../src/core/pullWire'
import { readDocs, rewriteDocs, storedRecords, writeLegacy, writePerDocument } from '../fixtures/idbDatabase'
import { legacyFile } from '../fixtures/legacyDatabase'
import { loopbackServer } from '../fixtures/loopbackServer'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { NOTES, notes, startApp } from './harness'

/** Bytes handed to IndexedDB `put` calls (each value and key as JSON): what a save writes. */
let written = 0
const put = IDBObjectStore.prototype.put
beforeAll(() => {
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    written += Buffer.byteLength(JSON.stringify(value)) + (key === undefined ? 0 : Buffer.byteLength(JSON.stringify(key)))
    return put.call(this, value, key)
  }
})
afterAll(() => {
  IDBObjectStore.prototype.put = put
})

let server: LoopbackServer
beforeAll(async () => {
  server = await loopbackServer({ tables: { note: notes(2_000) } })
})
afterAll(() => server.stop())

const collections = { note: { primaryKey: 'id' } }
const subscription = { key: 'note:{}', collection: 'note', filter: {} }
const row = (id: number, body: string): Change => ({ key: id, version: id, deleted: false, row: { id, project_id: 1, body } })

describe('IndexedDB persistence (fake-indexeddb)', () => {
  it('round trip: a restarted replica opens with every row and resumes from its stored cursor', async () => {
    const first = startApp(server, indexedDbPersistence('round-trip'), 'idb-first')
    await first.syncNotes()
    const cursor = first.pullsOf().at(-1)?.next
    await first.store.replica.close()

    const second = startApp(server, indexedDbPersistence('round-trip'), 'idb-second')
    await second.store.replica.whenHydrated()
    expect(second.notesInRedux()).toEqual(server.live('note'))
    expect(second.replica.selectors.selectSubscription(second.store.getState(), NOTES).received).toBe(2_000)
    await second.syncNotes()
    expect(second.pullsOf().map((pull) => pull.cursor)).toEqual([cursor])
    await second.store.replica.close()
  })

  it.each([10_000, 100_000])('makes one changed row durable with a few hundred bytes put in one transaction (one log record), with %i rows held', async (held) => {
    const name = `one-row-${held}`
    const store = await openLocalStore({ persistence: indexedDbPersistence(name), collections, saveInterval: 60_000 })
    store.applyPage({ subscription, changes: Array.from({ length: held }, (_, i) => row(i + 1, `Note ${i + 1} with a body of some length`)), checkpoint: 'all' })
    await store.flush()
    // The log of that first save is folded into the snapshot in the background: measured after it.
    await waitUntil(async () => (await storedRecords(name, 'log')) === 0)
    expect(await storedRecords(name, 'chunks')).toBeGreaterThanOrEqual(held / 1_000)
    const transactions = vi.spyOn(IDBDatabase.prototype, 'transaction')
    written = 0
    store.applyPage({ subscription, changes: [{ ...row(7, 'edited'), version: held + 1 }], checkpoint: 'one more' })
    await store.flush()
    const oneRow = written
    const writing = transactions.mock.calls.filter(([, mode]) => mode === 'readwrite').length
    transactions.mockRestore()

    // 1% of the rows change, scattered (every 100th): the save writes those rows, not the chunks around them.
    written = 0
    store.applyPage({ subscription, changes: Array.from({ length: held / 100 }, (_, i) => ({ ...row(i * 100 + 50, 'edited'), version: held + 2 + i })), checkpoint: 'scattered' })
    await store.flush()
    const scattered = written
    await store.close()

    expect(writing).toBe(1)
    expect(oneRow).toBeGreaterThan(0)
    expect(oneRow).toBeLessThan(1_024)
    expect(scattered).toBeLessThan((held / 100) * 200)
    const reopened = await openLocalStore({ persistence: indexedDbPersistence(name), collections })
    const rows = reopened.readAll('note')
    expect(rows).toHaveLength(held)
    expect(rows.filter((r) => r.body === 'edited')).toHaveLength(held / 100 + 1)
    expect(reopened.subscription(subscription.key)?.checkpoint).toBe('scattered')
    await reopened.close()
  })

  it('a page applied while a save is under way is in that save with its cursor, or in neither', async () => {
    const store = await openLocalStore({ persistence: indexedDbPersistence('mid-save'), collections, saveInterval: 60_000 })
    store.applyPage({ subscription, changes: Array.from({ length: 300 }, (_, i) => row(i + 1, 'first')), checkpoint: 'first' })
    const saving = store.flush()
    // The save took its changes when it began; this page lands while IndexedDB is writing them.
    store.applyPage({ subscription, changes: Array.from({ length: 300 }, (_, i) => row(i + 301, 'second')), checkpoint: 'second' })
    await saving
    const docs = await readDocs('mid-save')
    const cursor = docs.get('_replica_subscriptions')?.[0]?.checkpoint
    expect(docs.get('note')?.length).toBe(cursor === 'second' ? 600 : 300)
    await store.close()
  })

  it('a database of another format version is moved to another IndexedDB database, and the replica starts empty', async () => {
    const store = await openLocalStore({ persistence: indexedDbPersistence('old-format'), collections })
    store.applyPage({ subscription, changes: [row(1, 'kept')], checkpoint: 'c1' })
    await store.close()
    await rewriteDocs('old-format', '_replica_meta', (doc) => doc.key === 'format', (doc) => ({ ...doc, value: 99 }))

    const reopened = await openLocalStore({ persistence: indexedDbPersistence('old-format'), collections })
    expect(reopened.setAside).toMatchObject({ reason: 'incompatible', error: { code: 'database_incompatible' } })
    expect(reopened.readAll('note')).toEqual([])
    await reopened.close()
    const names = (await indexedDB.databases()).map((db) => db.name)
    expect(names).toContain(reopened.setAside?.movedTo)
    // The old data is all there, under its new name.
    expect((await readDocs(reopened.setAside?.movedTo as string)).get('note')).toMatchObject([{ r: { body: 'kept' } }])
  })

  it.each([
    ['LokiJS\'s chunks of 100 (schema version 1)', writeLegacy, 'LokiIncrementalData'],
    ['one record per document (schema version 2)', writePerDocument, 'docs'],
  ] as const)('a database in an earlier layout, %s, opens with its rows, cursor and pending writes, and is rewritten at its first save', async (_label, write, oldStore) => {
    const name = `layout-${oldStore}`
    await write(name, legacyFile(FORMAT_VERSION))
    const store = await openLocalStore({ persistence: indexedDbPersistence(name), collections })
    expect(store.setAside).toBeUndefined()
    expect(store.readAll('note')).toEqual([{ id: 1, project_id: 1, body: 'kept' }, { id: 2, project_id: 1, body: 'written offline' }])
    expect(store.subscription(subscription.key)?.checkpoint).toBe('legacy-cursor')
    expect(store.writes.entries()).toMatchObject([{ id: 'm1', key: 2 }])
    store.applyPage({ subscription, changes: [row(3, 'new')], checkpoint: 'after' })
    await store.close()

    // Written whole as snapshot chunks, in the transaction that cleared the old layout.
    expect(await storedRecords(name, oldStore)).toBe(0)
    expect(await storedRecords(name, 'log')).toBe(0)
    expect((await readDocs(name)).get('_replica_outbox')).toMatchObject([{ id: 'm1' }])
    const reopened = await openLocalStore({ persistence: indexedDbPersistence(name), collections })
    expect(reopened.readAll('note').map((r) => r.id)).toEqual([1, 3, 2])
    expect(reopened.subscription(subscription.key)?.checkpoint).toBe('after')
    await reopened.close()
  })

  it.each([
    ['a legacy chunk that is not JSON', (name: string) => writeLegacy(name, legacyFile(FORMAT_VERSION), (key, value) => (key === 'note.chunk.0' ? value.slice(0, 10) : value))],
    ['a legacy database of another format version', (name: string) => writeLegacy(name, legacyFile(99))],
    ['a database another library made', (name: string) => foreignDatabase(name)],
    ['a snapshot chunk that is not a list of documents', (name: string) => savedThenDamaged(name, (db) => {
      const tx = db.transaction(['chunks', 'collections'], 'readwrite')
      tx.objectStore('collections').put({ maxId: 2 }, 'note')
      return tx.objectStore('chunks').put({ not: 'a list' }, ['note', 0])
    })],
    ['a log record that is not a change set', (name: string) => savedThenDamaged(name, (db) => db.transaction('log', 'readwrite').objectStore('log').put({ hello: 'world' }))],
  ])('%s is set aside: not a hang or a crash', async (label, make) => {
    const name = `aside-${label.replace(/\W/g, '-')}`
    await make(name)
    const reopened = await openLocalStore({ persistence: indexedDbPersistence(name), collections })
    expect(reopened.setAside?.reason).toBe(label.includes('format') ? 'incompatible' : 'unreadable')
    expect(reopened.readAll('note')).toEqual([])
    reopened.applyPage({ subscription, changes: [row(1, 'fresh')], checkpoint: 'c1' })
    await reopened.close()
    expect((await readDocs(name)).get('note')).toMatchObject([{ r: { body: 'fresh' } }])
    expect((await indexedDB.databases()).map((db) => db.name)).toContain(reopened.setAside?.movedTo)
  })
})

async function waitUntil(predicate: () => Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A database at version 1 with a store of its own, as another library would leave it. */
function foreignDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1)
    req.onupgradeneeded = () => req.result.createObjectStore('theirs')
    req.onsuccess = () => (req.result.close(), resolve())
    req.onerror = () => reject(req.error)
  })
}

/** A database this library saved (rows in the snapshot and in the log), then one value damaged by `damage`. */
async function savedThenDamaged(name: string, damage: (db: IDBDatabase) => IDBRequest): Promise<void> {
  const store = await openLocalStore({ persistence: indexedDbPersistence(name, { compactWhen: () => false }), collections })
  store.applyPage({ subscription, changes: [row(1, 'one'), row(2, 'two')], checkpoint: 'c2' })
  await store.close()
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
  await new Promise((resolve, reject) => {
    const req = damage(db)
    req.onsuccess = resolve
    req.onerror = () => reject(req.error)
  })
  db.close()
}
