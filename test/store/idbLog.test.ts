import 'fake-indexeddb/auto'
import { describe, expect, it, vi } from 'vitest'
import { indexedDbPersistence } from '../../src'
import type { IndexedDbLogSizes } from '../../src'
import type { ChangeSet, CollectionChanges, StorageConnection, StoredDoc } from '../../src/store/persistence'
import { openLocalStore } from '../../src/store/localStore'
import type { Change } from '../../src/core/pullWire'
import { splitIntoRecords } from '../../src/store/idbWrite'
import { storedRecords } from '../fixtures/idbDatabase'

/**
 * The IndexedDB log (schema version 3) at the connection's level: what a save puts, what a load
 * replays, and compaction, checked against a model of the database kept in memory.
 */

type Model = Map<string, { maxId: number; docs: Map<number, StoredDoc> }>

/** Applies a change set to the model, as the database must. */
function keep(model: Model, changes: ChangeSet): void {
  if (changes.full) model.clear()
  for (const { name, maxId, put, removed } of changes.collections) {
    const table = model.get(name) ?? model.set(name, { maxId, docs: new Map() }).get(name)!
    table.maxId = maxId
    for (const doc of put) table.docs.set(doc.$loki, { ...doc })
    for (const id of removed) table.docs.delete(id)
  }
}

const expected = (model: Model) =>
  [...model].map(([name, { maxId, docs }]) => ({ name, maxId, data: [...docs.values()].sort((a, b) => a.$loki - b.$loki) })).sort((a, b) => a.name.localeCompare(b.name))

const connect = (name: string, compactWhen: (sizes: IndexedDbLogSizes) => boolean = () => false) => indexedDbPersistence(name, { compactWhen }).connect()

/** What a fresh connection loads (it never compacts: only saves start that). */
async function loaded(name: string) {
  const connection = await connect(name)
  const found = await connection.load()
  await connection.close()
  if (found.kind === 'unreadable') throw found.error
  return found.kind === 'none' ? [] : [...found.value.collections].sort((a, b) => a.name.localeCompare(b.name))
}

/** Saves a change set through the connection and into the model. */
async function save(connection: StorageConnection, model: Model, changes: ChangeSet): Promise<void> {
  await connection.save(() => changes)
  keep(model, changes)
}

const docs = (from: number, to: number, v: unknown = 0): StoredDoc[] => Array.from({ length: to - from + 1 }, (_, i) => ({ $loki: from + i, v, body: `document ${from + i}` }))
const changed = (collections: CollectionChanges[]): ChangeSet => ({ full: false, collections })

async function waitUntil(predicate: () => Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** A seeded random number generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const collections = { note: { primaryKey: 'id' } }
const subscription = { key: 'note:{}', collection: 'note', filter: {} }
const page = (from: number, to: number): Change[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ key: from + i, version: from + i, deleted: false, row: { id: from + i, project_id: 1, body: `Note ${from + i}` } }))

describe('IndexedDB log: saves', () => {
  it('cuts a change set into records of at most 1,000 documents and removals, every part keeping its collection and maxId', () => {
    const changes: CollectionChanges[] = [
      { name: 'a', maxId: 2_100, put: docs(1, 1_500), removed: [1_501, 1_502] },
      { name: 'b', maxId: 9, put: [], removed: Array.from({ length: 999 }, (_, i) => i + 1) },
      { name: 'c', maxId: 3, put: docs(1, 3), removed: [] },
    ]
    const records = splitIntoRecords(changes)
    const sizes = records.map((record) => record.collections.map((c) => `${c.name}:${c.put.length}+${c.removed.length}@${c.maxId}`))
    expect(sizes).toEqual([['a:1000+0@2100'], ['a:500+2@2100', 'b:0+498@9'], ['b:0+501@9', 'c:3+0@3']])
    // Nothing lost, nothing repeated, in order.
    expect(records.flatMap((r) => r.collections.filter((c) => c.name === 'a').flatMap((c) => c.put.map((doc) => doc.$loki)))).toEqual(docs(1, 1_500).map((doc) => doc.$loki))
    expect(records.flatMap((r) => r.collections.filter((c) => c.name === 'b').flatMap((c) => c.removed))).toEqual(changes[1]!.removed)
  })

  it('a page of 2,500 rows is saved as three log records with its cursor, in one transaction', async () => {
    const store = await openLocalStore({ persistence: indexedDbPersistence('page-records', { compactWhen: () => false }), collections, saveInterval: 60_000 })
    await store.flush()
    const before = await storedRecords('page-records', 'log')
    const transactions = vi.spyOn(IDBDatabase.prototype, 'transaction')
    store.applyPage({ subscription, changes: page(1, 2_500), checkpoint: 'c2500' })
    await store.flush()
    const writing = transactions.mock.calls.filter(([, mode]) => mode === 'readwrite').length
    transactions.mockRestore()
    await store.close()
    expect(writing).toBe(1)
    // 2,500 rows and the subscription's document: records of at most 1,000.
    expect((await storedRecords('page-records', 'log')) - before).toBe(3)
    const reopened = await openLocalStore({ persistence: indexedDbPersistence('page-records'), collections })
    expect(reopened.readAll('note')).toHaveLength(2_500)
    expect(reopened.subscription(subscription.key)?.checkpoint).toBe('c2500')
    await reopened.close()
  })

  it.each([
    ['the first put (in the calling task)', 1],
    ['a later put (in a success callback)', 4],
  ])('a save whose transaction aborts at %s leaves the previous state whole, and its changes are saved by the next save', async (_label, failing) => {
    const name = `abort-${failing}`
    const store = await openLocalStore({ persistence: indexedDbPersistence(name, { compactWhen: () => false }), collections, saveInterval: 60_000 })
    store.applyPage({ subscription, changes: page(1, 300), checkpoint: 'c300' })
    await store.flush()

    const put = IDBObjectStore.prototype.put
    let calls = 0
    const spy = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (++calls === failing) throw new Error('injected fault')
      return put.call(this, value, key)
    })
    store.applyPage({ subscription, changes: page(301, 5_300), checkpoint: 'c5300' })
    await expect(store.flush()).rejects.toThrow('injected fault')
    spy.mockRestore()
    expect(calls).toBeGreaterThanOrEqual(failing)

    const previous = await openLocalStore({ persistence: indexedDbPersistence(name), collections })
    expect(previous.readAll('note')).toHaveLength(300)
    expect(previous.subscription(subscription.key)?.checkpoint).toBe('c300')
    await previous.close()

    await store.flush()
    await store.close()
    const after = await openLocalStore({ persistence: indexedDbPersistence(name), collections })
    expect(after.readAll('note')).toHaveLength(5_300)
    expect(after.subscription(subscription.key)?.checkpoint).toBe('c5300')
    await after.close()
  })

  it('a large save stores its documents as they were when save() returned, though most are put later', async () => {
    const connection = await connect('live-docs')
    await connection.load()
    const live = docs(1, 5_000, 'as saved')
    const saving = connection.save(() => changed([{ name: 'a', maxId: 5_000, put: live, removed: [] }]))
    // The local store changes its live documents' fields after the save began.
    for (const doc of live) doc.v = 'changed later'
    await saving
    await connection.close()
    const [a] = await loaded('live-docs')
    expect(a?.data).toHaveLength(5_000)
    expect(a?.data.every((doc) => doc.v === 'as saved')).toBe(true)
  })
})

describe('IndexedDB log: loading', () => {
  it('replays the log over the snapshot: documents in $loki order, later records winning, removals applied', async () => {
    let compact = true
    const connection = await connect('replay', () => compact)
    await connection.load()
    const model: Model = new Map()
    await save(connection, model, changed([{ name: 'a', maxId: 3_000, put: docs(1, 3_000), removed: [] }, { name: 'b', maxId: 10, put: docs(1, 10), removed: [] }]))
    await save(connection, model, changed([{ name: 'a', maxId: 3_000, put: [], removed: [7] }]))
    await waitUntil(async () => (await storedRecords('replay', 'log')) === 0)
    expect(await storedRecords('replay', 'chunks')).toBe(5)
    compact = false
    // Newer than the snapshot: changes to old documents, new ones, removals, a document put then removed.
    await save(connection, model, changed([{ name: 'a', maxId: 3_005, put: [...docs(3_001, 3_005, 1), ...docs(2_500, 2_500, 1), ...docs(5, 5, 1)], removed: [10, 999] }]))
    await save(connection, model, changed([{ name: 'a', maxId: 3_005, put: docs(1, 1, 2), removed: [3_003] }, { name: 'c', maxId: 2, put: docs(1, 2), removed: [] }]))
    await save(connection, model, changed([{ name: 'a', maxId: 3_005, put: docs(5, 5, 2), removed: [] }, { name: 'b', maxId: 10, put: [], removed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }]))
    await connection.close()
    expect(await storedRecords('replay', 'log')).toBe(3)

    const found = await loaded('replay')
    expect(found).toEqual(expected(model))
    const a = found.find((c) => c.name === 'a')!
    expect(a.data.map((doc) => doc.$loki)).toEqual([...Array.from({ length: 3_002 }, (_, i) => i + 1).filter((id) => ![7, 10, 999].includes(id)), 3_004, 3_005])
    expect([a.data[0]?.v, a.data[4]?.v, a.data.find((doc) => doc.$loki === 2_500)?.v]).toEqual([2, 2, 1])
    expect(found.find((c) => c.name === 'b')).toEqual({ name: 'b', maxId: 10, data: [] })
  })
})

describe('IndexedDB log: compaction', () => {
  it('folds the log into the snapshot in idle time by default: the log empties, the chunks hold the database, a reload equals it', async () => {
    const compacting = await indexedDbPersistence('compaction').connect()
    await compacting.load()
    const model: Model = new Map()
    for (let from = 1; from <= 20_000; from += 5_000) await save(compacting, model, changed([{ name: 'a', maxId: from + 4_999, put: docs(from, from + 4_999), removed: [] }]))
    const scattered = Array.from({ length: 3_000 }, (_, i) => (i * 6_007) % 20_000 + 1)
    await save(compacting, model, changed([{ name: 'a', maxId: 20_000, put: scattered.map((id) => ({ $loki: id, v: 'edited' })), removed: Array.from({ length: 500 }, (_, i) => i * 40 + 3) }]))
    await waitUntil(async () => (await storedRecords('compaction', 'log')) === 0)
    expect(await storedRecords('compaction', 'chunks')).toBe(21)
    expect(await loaded('compaction')).toEqual(expected(model))
    await compacting.close()
  })

  it('a compaction interrupted between steps (closed midway) reloads equal, and the next leader finishes it', async () => {
    const first = await connect('interrupted', () => true)
    await first.load()
    const model: Model = new Map()
    await save(first, model, changed([{ name: 'a', maxId: 40_000, put: docs(1, 40_000), removed: [] }]))
    await waitUntil(async () => (await storedRecords('interrupted', 'log')) < 40)
    await first.close()
    const left = await storedRecords('interrupted', 'log')
    expect(left).toBeGreaterThan(0)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await storedRecords('interrupted', 'log')).toBe(left)
    expect(await loaded('interrupted')).toEqual(expected(model))

    const second = await connect('interrupted', () => true)
    await second.load()
    await save(second, model, changed([{ name: 'a', maxId: 40_000, put: [], removed: [1] }]))
    await waitUntil(async () => (await storedRecords('interrupted', 'log')) === 0)
    await second.close()
    expect(await loaded('interrupted')).toEqual(expected(model))
  })

  it.each([1, 2, 3, 4, 5])('saves during compaction are not lost: seeded random interleavings of saves, steps and reloads (seed %i)', async (seed) => {
    const name = `interleaved-${seed}`
    const next = random(seed)
    const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)] as T
    const model: Model = new Map()
    const maxIds = new Map<string, number>()
    let connection = await connect(name, () => true)
    await connection.load()
    for (let op = 0; op < 40; op++) {
      const roll = next()
      if (roll < 0.65) {
        const changes: CollectionChanges[] = []
        for (const collection of ['a', 'b', 'c']) {
          if (next() < 0.4) continue
          const held = [...(model.get(collection)?.docs.keys() ?? [])]
          const put = new Map<number, StoredDoc>()
          const removed = new Set<number>()
          let maxId = maxIds.get(collection) ?? 0
          const inserts = Math.floor(next() ** 3 * 2_500)
          for (let i = 0; i < inserts; i++) put.set(++maxId, { $loki: maxId, v: op })
          for (let i = Math.floor(next() * 40); i > 0 && held.length > 0; i--) {
            const id = pick(held)
            put.set(id, { $loki: id, v: `edit ${op}` })
          }
          for (let i = Math.floor(next() * 20); i > 0 && held.length > 0; i--) removed.add(pick(held))
          for (const id of removed) put.delete(id)
          maxIds.set(collection, maxId)
          if (put.size + removed.size > 0) changes.push({ name: collection, maxId, put: [...put.values()], removed: [...removed] })
        }
        await save(connection, model, changed(changes))
      } else if (roll < 0.9) {
        await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 25)))
      } else {
        // A reload in the middle of it all, sometimes cutting a compaction short.
        await connection.close()
        expect(await loaded(name)).toEqual(expected(model))
        connection = await connect(name, () => true)
        await connection.load()
      }
    }
    await save(connection, model, changed([{ name: 'a', maxId: Math.max(maxIds.get('a') ?? 0, 1), put: [{ $loki: 1, v: 'last' }], removed: [] }]))
    await waitUntil(async () => (await storedRecords(name, 'log')) === 0)
    await connection.close()
    expect(await loaded(name)).toEqual(expected(model))
  })
})
