import { appendFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Loki from 'lokijs'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { filePersistence, FORMAT_VERSION } from '../../src'
import type { FilePersistenceOptions } from '../../src'
import type { Change } from '../../src/core/pullWire'
import { openLocalStore } from '../../src/store/localStore'
import { DOCS_PER_SLICE, encodeInSlices } from '../../src/store/logEncode'
import { legacyFile } from '../fixtures/legacyDatabase'
import { MAGIC, readRecords, replayLog } from '../fixtures/logFile'
import { tempDir } from './harness'

const collections = { note: { primaryKey: 'id' } }
const subscription = { key: 'note:{}', collection: 'note', filter: {} }
const rows = (from: number, to: number, body = 'Note'): Change[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ key: from + i, version: from + i, deleted: false, row: { id: from + i, project_id: 1, body: `${body} ${from + i}` } }))

let temp: ReturnType<typeof tempDir>
let path: string
beforeEach(() => {
  temp = tempDir()
  path = join(temp.dir, 'replica.db')
})
afterEach(() => temp.cleanup())

const open = (options: FilePersistenceOptions = {}) => openLocalStore({ persistence: filePersistence(path, options), collections, saveInterval: 60_000 })
const never = { compactWhen: () => false }

/** Resolves once `holds` is true of the file (compaction runs in the background). */
async function until(holds: () => boolean): Promise<void> {
  const end = Date.now() + 30_000
  while (!holds()) {
    if (Date.now() > end) throw new Error('the file never got there')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('encoding a record in slices', () => {
  it('gives the bytes of JSON.stringify of the record, yielding once per slice of documents', async () => {
    const docs = Array.from({ length: 2 * DOCS_PER_SLICE + 1 }, (_, i) => ({ $loki: i + 1, k: String(i + 1), r: { id: i + 1, body: `"quoted" \u2028 ${i}` } }))
    const record = { full: true, parts: 3, collections: [{ name: 'a"b', maxId: docs.length, put: docs, removed: [7] }, { name: 'empty', maxId: 0, put: [], removed: [] }] }
    let yields = 0
    const parts = await encodeInSlices(record, async () => void yields++)
    expect(Buffer.concat(parts).toString()).toBe(JSON.stringify(record))
    expect(yields).toBe(3)
  })
})

describe('file persistence: the log', () => {
  it('appends one record per save, holding exactly what changed: a page\'s rows with its cursor', async () => {
    const store = await open(never)
    store.applyPage({ subscription, changes: rows(1, 300), checkpoint: 'c300' })
    await store.flush()
    store.applyPage({ subscription, changes: rows(301, 310), checkpoint: 'c310' })
    await store.flush()
    await store.close()

    // The first save wrote a new file: a snapshot (its first record says how many records it has).
    const { records } = readRecords(path)
    const [head] = records
    expect(head).toMatchObject({ full: true, parts: expect.any(Number) })
    expect(records).toHaveLength((head?.parts as number) + 1)
    const second = records.at(-1)
    const note = second?.collections.find((c) => c.name === 'note')
    expect(note?.put.map((doc) => (doc.r as { id: number }).id)).toEqual(Array.from({ length: 10 }, (_, i) => 301 + i))
    expect(second?.collections.find((c) => c.name === '_replica_subscriptions')?.put).toMatchObject([{ checkpoint: 'c310', received: 310 }])
  })

  it('a large save, encoded later in slices, is one record holding the rows as they were at save()', async () => {
    const store = await open(never)
    store.applyPage({ subscription, changes: rows(1, 10), checkpoint: 'c10' })
    await store.flush()
    store.applyPage({ subscription, changes: rows(11, 12_000), checkpoint: 'c12000' })
    const saved = store.flush()
    // Changed after the save began: the next save's, not this one's.
    store.applyPage({ subscription, changes: [{ key: 11, version: 20_000, deleted: false, row: { id: 11, project_id: 1, body: 'Changed 11' } }], checkpoint: 'c12001' })
    await saved
    await store.close()

    const { records } = readRecords(path)
    const [head] = records
    const big = records[(head?.parts as number)]
    const notes = big?.collections.find((c) => c.name === 'note')
    expect(notes?.put).toHaveLength(11_990)
    expect(notes?.put[0]?.r).toEqual({ id: 11, project_id: 1, body: 'Note 11' })
    expect(big?.collections.find((c) => c.name === '_replica_subscriptions')?.put).toMatchObject([{ checkpoint: 'c12000' }])
    expect(replayLog(path).get('note')?.get(11)?.r).toEqual({ id: 11, project_id: 1, body: 'Changed 11' })
    const reopened = await open(never)
    expect(reopened.readAll('note')).toHaveLength(12_000)
    expect(reopened.subscription(subscription.key)?.checkpoint).toBe('c12001')
    await reopened.close()
  })

  it.each([
    ['cut short', () => truncateSync(path, statSync(path).size - 7)],
    ['replaced by bytes that fail its checksum', (ends: number[]) => {
      truncateSync(path, ends.at(-2) as number)
      appendFileSync(path, Buffer.from([40, 0, 0, 0, 1, 2, 3, 4, 123, 34]))
    }],
  ])('a torn last record (%s) is dropped with everything before it kept, and the next save cuts it off', async (_name, tear: (ends: number[]) => void) => {
    const store = await open(never)
    store.applyPage({ subscription, changes: rows(1, 100), checkpoint: 'c100' })
    await store.flush()
    store.applyPage({ subscription, changes: rows(101, 200), checkpoint: 'c200' })
    await store.flush()
    await store.close()
    // A crash tore the second save.
    tear(readRecords(path).ends)

    const reopened = await open(never)
    expect(reopened.setAside).toBeUndefined()
    expect(reopened.readAll('note')).toHaveLength(100)
    expect(reopened.subscription(subscription.key)?.checkpoint).toBe('c100')
    reopened.applyPage({ subscription, changes: rows(101, 150, 'Again'), checkpoint: 'c150' })
    await reopened.flush()
    await reopened.close()

    const after = readRecords(path)
    expect(after.ends.at(-1)).toBe(after.size)
    expect(after.records).toHaveLength((after.records[0]?.parts as number) + 1)
    const last = await open(never)
    expect(last.readAll('note').map((row) => row.id)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1))
    expect(last.subscription(subscription.key)?.checkpoint).toBe('c150')
    await last.close()
  })

  it('a compaction cut short by a crash (its temp file left behind) changes nothing, and the temp file goes', async () => {
    const store = await open(never)
    store.applyPage({ subscription, changes: rows(1, 50), checkpoint: 'c50' })
    await store.close()
    const before = readFileSync(path)
    writeFileSync(`${path}.compact`, Buffer.concat([Buffer.from(MAGIC), Buffer.from([200, 0, 0, 0, 9, 9])]))
    writeFileSync(`${path}.tmp`, 'half of a new file')

    const reopened = await open(never)
    expect(reopened.readAll('note')).toHaveLength(50)
    expect(existsSync(`${path}.compact`) || existsSync(`${path}.tmp`)).toBe(false)
    expect(readFileSync(path)).toEqual(before)
    await reopened.close()
  })

  it('compacts in a worker: the file shrinks back to about the database, and every save, made during a compaction or not, is kept', async () => {
    const store = await open({ compactWhen: () => true })
    store.applyPage({ subscription, changes: rows(1, 200), checkpoint: 'v0' })
    await store.flush()
    const database = statSync(path).size
    // The same 200 rows, changed again and again: the log grows forty times, the database does not.
    for (let round = 1; round <= 40; round++) {
      store.applyPage({ subscription, changes: rows(1, 200, `Round ${round}`).map((c) => ({ ...c, version: round * 1_000 + (c.key as number) })), checkpoint: `v${round}` })
      await store.flush()
    }
    // Each save asks for a compaction; the saves after the last one that ran are compacted next time.
    await until(() => {
      store.applyPage({ subscription, changes: [], checkpoint: 'v40' })
      void store.flush()
      return statSync(path).size < 2 * database
    })
    const held = store.readAll('note')
    await store.close()

    const reopened = await open(never)
    expect(reopened.readAll('note')).toEqual(held)
    expect(held.every((row) => row.body === `Round 40 ${row.id}`)).toBe(true)
    expect(reopened.subscription(subscription.key)?.checkpoint).toBe('v40')
    await reopened.close()
  })

  it('by default, compacts once replaced rows pass half the rest, never a log that only grew', async () => {
    const store = await open()
    for (let page = 0; page < 30; page++) {
      store.applyPage({ subscription, changes: rows(page * 1_000 + 1, page * 1_000 + 1_000), checkpoint: `p${page}` })
      await store.flush()
    }
    // Thirty saves of new rows (an initial sync): each is still one record after the first file's snapshot.
    const grown = readRecords(path)
    expect(grown.records).toHaveLength((grown.records[0]?.parts as number) + 29)
    const database = grown.size
    // The first 1,000 rows, replaced twenty times over: stale copies pile up past half the rest.
    for (let round = 1; round <= 20; round++) {
      store.applyPage({ subscription, changes: rows(1, 1_000, `Round ${round}`).map((c) => ({ ...c, version: 100_000 * round + (c.key as number) })), checkpoint: `r${round}` })
      await store.flush()
    }
    await until(() => {
      store.applyPage({ subscription, changes: [], checkpoint: 'r20' })
      void store.flush()
      return statSync(path).size < 1.5 * database
    })
    await store.close()
    const reopened = await open(never)
    expect(reopened.readAll('note')).toHaveLength(30_000)
    expect(reopened.readAll('note').filter((row) => row.body === `Round 20 ${row.id}`)).toHaveLength(1_000)
    await reopened.close()
  })

  it.each([10_000, 100_000])('makes one changed row durable by appending a few hundred bytes, with %i rows held, never serializing the database', async (held) => {
    const store = await open(never)
    store.applyPage({ subscription, changes: rows(1, held), checkpoint: 'all' })
    await store.flush()
    const serialize = vi.spyOn(Loki.prototype, 'serialize')
    const stringify = vi.spyOn(JSON, 'stringify')
    const size = statSync(path).size
    store.applyPage({ subscription, changes: [{ ...rows(7, 7, 'Changed')[0]!, version: held + 1 }], checkpoint: 'one more' })
    await store.flush()
    const written = statSync(path).size - size
    const longest = Math.max(...stringify.mock.results.map((r) => (typeof r.value === 'string' ? r.value.length : 0)))
    serialize.mockRestore()
    stringify.mockRestore()
    await store.close()

    expect(serialize).not.toHaveBeenCalled()
    // The row, the subscription's cursor, and the frame around them.
    expect(written).toBeGreaterThan(0)
    expect(written).toBeLessThan(1_024)
    expect(longest).toBeLessThan(1_024)
  })

  it('a database file of the layout before the log (one JSON document) opens with its rows, cursor and pending writes, and becomes a log at its first save', async () => {
    writeFileSync(path, legacyFile(FORMAT_VERSION))
    const store = await open(never)
    expect(store.setAside).toBeUndefined()
    expect(store.readAll('note')).toEqual([{ id: 1, project_id: 1, body: 'kept' }, { id: 2, project_id: 1, body: 'written offline' }])
    expect(store.subscription(subscription.key)?.checkpoint).toBe('legacy-cursor')
    expect(store.writes.entries()).toMatchObject([{ id: 'm1', key: 2, op: 'upsert' }])
    store.applyPage({ subscription, changes: rows(3, 3), checkpoint: 'after' })
    await store.close()

    expect(readFileSync(path).toString('latin1', 0, MAGIC.length)).toBe(MAGIC)
    expect([...(replayLog(path).get('_replica_outbox')?.values() ?? [])]).toMatchObject([{ id: 'm1' }])
    const reopened = await open(never)
    expect(reopened.readAll('note').map((row) => row.id)).toEqual([1, 3, 2])
    expect(reopened.subscription(subscription.key)?.checkpoint).toBe('after')
    await reopened.close()
  })
})
