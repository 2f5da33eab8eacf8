import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FORMAT_VERSION, indexedDbPersistence } from '../../src'
import { openLocalStore } from '../../src/store/localStore'
import type { Change } from '../../src/core/pullWire'
import { loopbackServer } from '../fixtures/loopbackServer'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { NOTES, notes, startApp } from './harness'

/** Characters handed to IndexedDB `put` calls: what a save writes. */
let written = 0
const put = IDBObjectStore.prototype.put
beforeAll(() => {
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    const chunk = (value as { value?: unknown }).value
    written += typeof chunk === 'string' ? chunk.length : JSON.stringify(value).length
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

  it('a save after changing 1% of 100,000 rows writes a small fraction of a full save', async () => {
    const store = await openLocalStore({ persistence: indexedDbPersistence('hundred-k'), collections, saveInterval: 60_000 })
    for (let page = 0; page < 100; page++) {
      const changes = Array.from({ length: 1_000 }, (_, i) => row(page * 1_000 + i + 1, `Note ${page * 1_000 + i + 1} with a body of some length`))
      store.applyPage({ subscription, changes, checkpoint: `page-${page}` })
    }
    written = 0
    await store.flush()
    const full = written

    // 1% of the rows change: a run of 1,000 edited notes, as a sync of recent edits brings.
    written = 0
    store.applyPage({ subscription, changes: Array.from({ length: 1_000 }, (_, i) => ({ ...row(40_001 + i, 'edited'), version: 200_000 + i })), checkpoint: 'edits' })
    await store.flush()
    const contiguous = written

    // 1% of the rows change, scattered: every 100th row, so nearly every chunk of 100 is touched.
    written = 0
    store.applyPage({ subscription, changes: Array.from({ length: 1_000 }, (_, i) => ({ ...row(i * 100 + 50, 'edited'), version: 300_000 + i })), checkpoint: 'scattered' })
    await store.flush()
    const scattered = written
    await store.close()

    console.log(JSON.stringify({ bench: 'idb-save-bytes', n: 100_000, full, contiguous1pct: contiguous, scattered1pct: scattered }))
    expect(contiguous).toBeLessThan(full * 0.05)
    // Scattered edits touch most chunks; still no more than one full rewrite.
    expect(scattered).toBeLessThanOrEqual(full * 1.05)

    const reopened = await openLocalStore({ persistence: indexedDbPersistence('hundred-k'), collections })
    const rows = reopened.readAll('note')
    expect(rows).toHaveLength(100_000)
    const edited = new Set([...Array.from({ length: 1_000 }, (_, i) => 40_001 + i), ...Array.from({ length: 1_000 }, (_, i) => i * 100 + 50)])
    expect(rows.filter((r) => r.body === 'edited')).toHaveLength(edited.size)
    expect(reopened.subscription(subscription.key)?.checkpoint).toBe('scattered')
    await reopened.close()
  })

  it('a page applied while a save is under way is in that save with its cursor, or in neither', async () => {
    const store = await openLocalStore({ persistence: indexedDbPersistence('mid-save'), collections, saveInterval: 60_000 })
    store.applyPage({ subscription, changes: Array.from({ length: 300 }, (_, i) => row(i + 1, 'first')), checkpoint: 'first' })
    const saving = store.flush()
    // The adapter takes its snapshot later, after reading IndexedDB; this page lands before it.
    store.applyPage({ subscription, changes: Array.from({ length: 300 }, (_, i) => row(i + 301, 'second')), checkpoint: 'second' })
    await saving
    const chunks = await readChunks('mid-save')
    const rows = chunks.filter((c) => c.key.startsWith('note.chunk.')).flatMap((c) => JSON.parse(c.value) as unknown[])
    const cursor = (JSON.parse(chunks.find((c) => c.key === '_replica_subscriptions.chunk.0')?.value ?? '[]') as { checkpoint: string }[])[0]?.checkpoint
    expect(rows.length).toBe(cursor === 'second' ? 600 : 300)
    await store.close()
  })

  it('a database of another format version is moved to another IndexedDB database, and the replica starts empty', async () => {
    const store = await openLocalStore({ persistence: indexedDbPersistence('old-format'), collections })
    store.applyPage({ subscription, changes: [row(1, 'kept')], checkpoint: 'c1' })
    await store.close()
    await rewriteChunks('old-format', (key, value) => (key.startsWith('_replica_meta.chunk') ? value.replace(`"value":${FORMAT_VERSION}`, '"value":99') : value))

    const reopened = await openLocalStore({ persistence: indexedDbPersistence('old-format'), collections })
    expect(reopened.setAside).toMatchObject({ reason: 'incompatible', error: { code: 'database_incompatible' } })
    expect(reopened.readAll('note')).toEqual([])
    await reopened.close()
    const names = (await indexedDB.databases()).map((db) => db.name)
    expect(names).toContain(reopened.setAside?.movedTo)
    // The old data is all there, under its new name.
    const kept = await readChunks(reopened.setAside?.movedTo as string)
    expect(kept.find((c) => c.key === 'note.chunk.0')?.value).toContain('"kept"')
  })

  it('a chunk that is not JSON makes the database unreadable: set aside, not a hang or a crash', async () => {
    const store = await openLocalStore({ persistence: indexedDbPersistence('torn'), collections })
    store.applyPage({ subscription, changes: [row(1, 'x')], checkpoint: 'c1' })
    await store.close()
    await rewriteChunks('torn', (key, value) => (key === 'note.chunk.0' ? value.slice(0, 10) : value))

    const reopened = await openLocalStore({ persistence: indexedDbPersistence('torn'), collections })
    expect(reopened.setAside).toMatchObject({ reason: 'unreadable' })
    await reopened.close()
  })
})

function openRaw(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name)
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

async function readChunks(name: string): Promise<{ key: string; value: string }[]> {
  const db = await openRaw(name)
  const rows = await new Promise<{ key: string; value: string }[]>((resolve) => {
    const req = db.transaction('LokiIncrementalData').objectStore('LokiIncrementalData').getAll()
    req.onsuccess = () => resolve(req.result)
  })
  db.close()
  return rows
}

async function rewriteChunks(name: string, rewrite: (key: string, value: string) => string): Promise<void> {
  const chunks = await readChunks(name)
  const db = await openRaw(name)
  const tx = db.transaction('LokiIncrementalData', 'readwrite')
  for (const { key, value } of chunks) put.call(tx.objectStore('LokiIncrementalData'), { key, value: rewrite(key, value) })
  await new Promise((resolve) => (tx.oncomplete = resolve))
  db.close()
}
