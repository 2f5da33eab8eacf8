import 'fake-indexeddb/auto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { indexedDbPersistence } from '../../src'
import type { LockManagerLike } from '../../src'
import { openLocalStore } from '../../src/store/localStore'
import type { LocalStore } from '../../src/store/localStore'
import type { Change } from '../../src/core/pullWire'
import type { LocalWriteOutcome } from '../../src/store/outboxStore'
import { acquireWriterLock } from '../../src/store/webLock'
import { rewriteDocs, storedRecords } from '../fixtures/idbDatabase'
import { loopbackServer } from '../fixtures/loopbackServer'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { waitFor } from '../fixtures/store'
import { NOTES, notes, startApp } from './harness'

/**
 * A small in-process `navigator.locks`: exclusive locks by name, granted in request order,
 * `ifAvailable` and `signal` as the Web Locks API has them. One instance stands for one origin.
 */
function fakeLocks(): LockManagerLike & { holders(name: string): number } {
  const held = new Set<string>()
  const queues = new Map<string, Array<() => void>>()
  const release = (name: string) => {
    held.delete(name)
    queues.get(name)?.shift()?.()
  }
  return {
    holders: (name) => (held.has(name) ? 1 : 0),
    request(name, options, callback) {
      return new Promise((resolve, reject) => {
        const grant = () => {
          held.add(name)
          Promise.resolve()
            .then(() => callback({ name, mode: 'exclusive' }))
            .then(
              (value) => (release(name), resolve(value)),
              (error: unknown) => (release(name), reject(error)),
            )
        }
        if (!held.has(name)) return grant()
        if (options.ifAvailable) return void Promise.resolve().then(() => callback(null)).then(resolve, reject)
        const queue = queues.get(name) ?? []
        queues.set(name, queue)
        queue.push(grant)
        options.signal?.addEventListener('abort', () => {
          const at = queue.indexOf(grant)
          if (at >= 0) queue.splice(at, 1)
          reject(new DOMException('aborted', 'AbortError'))
        })
      })
    },
  }
}

/** What IndexedDB holds, read by a connection without a lock (as Node has no navigator.locks). */
async function onDisk(name: string) {
  const connection = await indexedDbPersistence(name).connect()
  const loaded = await connection.load()
  await connection.close()
  if (loaded.kind !== 'found') return loaded.kind
  const collections = (loaded.value as { collections: Array<{ name: string; data: Array<Record<string, unknown>> }> }).collections
  const data = (collection: string) => collections.find((c) => c.name === collection)?.data ?? []
  // Rows as shown: pending writes laid over the stored rows, as readAll does.
  const rows = new Map(data('note').map((doc) => [String(doc.k), doc.r as Record<string, unknown>]))
  for (const entry of data('_replica_outbox').sort((a, b) => (a.seq as number) - (b.seq as number))) {
    if (entry.op === 'upsert') rows.set(String(entry.key), entry.row as Record<string, unknown>)
    else rows.delete(String(entry.key))
  }
  return {
    rows: [...rows.values()].sort((a, b) => (a.id as number) - (b.id as number)),
    checkpoints: Object.fromEntries(data('_replica_subscriptions').map((doc) => [doc.key, doc.checkpoint])),
    outbox: data('_replica_outbox').map((doc) => doc.id).sort(),
  }
}

/** The same, from a store's memory. */
function inMemory(store: LocalStore) {
  return {
    rows: store.readAll('note').sort((a, b) => (a.id as number) - (b.id as number)),
    checkpoints: Object.fromEntries(store.subscriptions().map((s) => [s.key, s.checkpoint])),
    outbox: store.writes.entries().map((e) => e.id).sort(),
  }
}

const collections = { note: { primaryKey: 'id' } }
const subscription = { key: 'note:{}', collection: 'note', filter: {} }
const page = (from: number, to: number, body = 'Note'): Change[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ key: from + i, version: from + i, deleted: false, row: { id: from + i, project_id: 1, body: `${body} ${from + i}` } }))

describe('acquireWriterLock', () => {
  it('leads when the lock is free, follows otherwise, and the first follower in line leads when the leader lets go', async () => {
    const locks = fakeLocks()
    const a = await acquireWriterLock(locks, 'x')
    const b = await acquireWriterLock(locks, 'x')
    const c = await acquireWriterLock(locks, 'x')
    expect([a.role, b.role, c.role]).toEqual(['leader', 'follower', 'follower'])
    c.release() // stops waiting
    a.release()
    await b.held
    expect(b.role).toBe('leader')
    expect(c.role).toBe('follower')
    const d = await acquireWriterLock(locks, 'x')
    expect(d.role).toBe('follower')
    b.release()
    await d.held
    expect(d.role).toBe('leader')
    d.release()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(locks.holders('x')).toBe(0)
  })
})

describe('one writer per database (fake navigator.locks, fake-indexeddb)', () => {
  it('a follower never saves; when the leader closes it takes over with a full save of its memory and adopts the leader\'s pending writes', async () => {
    const locks = fakeLocks()
    // The leader never compacts here; the follower would at once, if it wrote at all.
    const persistence = indexedDbPersistence('two-tabs', { locks, compactWhen: () => false })
    const leader = await openLocalStore({ persistence, collections, saveInterval: 60_000 })
    leader.applyPage({ subscription, changes: page(1, 300), checkpoint: 'c300' })
    await leader.flush()

    const adopted: LocalWriteOutcome[][] = []
    const follower = await openLocalStore({ persistence: indexedDbPersistence('two-tabs', { locks, compactWhen: () => true }), collections, saveInterval: 60_000, onLeader: (a) => adopted.push(a) })
    expect([leader.role, follower.role]).toEqual(['leader', 'follower'])
    expect(follower.readAll('note')).toHaveLength(300)

    // The leader goes on: more rows, a cursor ahead, and a write queued offline (never pushed).
    leader.applyPage({ subscription, changes: page(301, 600), checkpoint: 'c600' })
    leader.writes.write({ collection: 'note', key: 9_001, op: 'upsert', row: { id: 9_001, project_id: 1, body: 'written in the leader' } })
    leader.writes.write({ collection: 'note', key: 5, op: 'upsert', row: { id: 5, project_id: 1, body: 'edited in the leader' } })
    await leader.flush()
    // The follower syncs on its own, less far, and writes too; it saves nothing.
    follower.applyPage({ subscription, changes: page(301, 450, 'Follower'), checkpoint: 'c450' })
    follower.writes.write({ collection: 'note', key: 9_002, op: 'upsert', row: { id: 9_002, project_id: 1, body: 'written in the follower' } })
    await follower.flush()
    const before = await onDisk('two-tabs')
    expect(before).toEqual(inMemory(leader))
    const logged = await storedRecords('two-tabs', 'log')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(logged).toBeGreaterThan(1)
    expect(await storedRecords('two-tabs', 'log')).toBe(logged)

    await leader.close()
    await waitUntil(() => follower.role === 'leader')
    await follower.flush()
    expect(adopted).toHaveLength(1)
    expect(adopted[0]!.map((a) => a.change.upserted.map((r) => r.body))).toEqual([['written in the leader'], ['edited in the leader']])

    // On disk: exactly the new leader's memory, its own cursor with its own rows, both writes.
    const after = await onDisk('two-tabs')
    expect(after).toEqual(inMemory(follower))
    expect(after).toMatchObject({ checkpoints: { 'note:{}': 'c450' } })
    expect(typeof after === 'object' && after.rows.map((r) => r.id)).toEqual([...Array.from({ length: 450 }, (_, i) => i + 1), 9_001, 9_002])
    expect(typeof after === 'object' && after.rows.find((r) => r.id === 400)?.body).toBe('Follower 400')
    expect(follower.writes.entries().map((e) => e.row?.body)).toEqual(['written in the follower', 'written in the leader', 'edited in the leader'])
    // Adopted with the rows they were made on (onConflict's base), and their base versions.
    expect(follower.writes.entries().map((e) => [e.base, e.baseVersion])).toEqual([
      [null, null],
      [null, null],
      [{ id: 5, project_id: 1, body: 'Note 5' }, 5],
    ])

    // It saves incrementally from then on, and a reopened store finds what it saved.
    follower.applyPage({ subscription, changes: page(451, 500), checkpoint: 'c500' })
    await follower.close()
    const reopened = await openLocalStore({ persistence: indexedDbPersistence('two-tabs', { locks }), collections })
    expect(reopened.role).toBe('leader')
    expect(inMemory(reopened)).toEqual(await onDisk('two-tabs'))
    expect(reopened.subscription('note:{}')?.checkpoint).toBe('c500')
    expect(reopened.readAll('note')).toHaveLength(502)
    await reopened.close()
  })

  it('a follower that finds the database unusable leaves it to the leader, and moves it aside only when it leads', async () => {
    const locks = fakeLocks()
    // An old tab, of another format version, holds the lock and its database.
    const old = await acquireWriterLock(locks, 'redux-replica:other-format')
    const seed = await openLocalStore({ persistence: indexedDbPersistence('other-format'), collections })
    seed.applyPage({ subscription, changes: page(1, 10), checkpoint: 'c10' })
    await seed.close()
    await rewriteFormat('other-format', 99)

    const follower = await openLocalStore({ persistence: indexedDbPersistence('other-format', { locks }), collections })
    expect(follower.role).toBe('follower')
    expect(follower.setAside?.reason).toBe('incompatible')
    expect(follower.readAll('note')).toEqual([])
    follower.applyPage({ subscription, changes: page(1, 3), checkpoint: 'c3' })
    await follower.flush()
    expect(await databases()).not.toContain(follower.setAside?.movedTo)
    expect(await onDisk('other-format')).toMatchObject({ checkpoints: { 'note:{}': 'c10' } })

    old.release()
    await waitUntil(() => follower.role === 'leader')
    await follower.flush()
    expect(await databases()).toContain(follower.setAside?.movedTo)
    expect(await onDisk('other-format')).toEqual(inMemory(follower))
    await follower.close()
  })
})

describe('the role in Redux', () => {
  let server: LoopbackServer
  beforeAll(async () => {
    server = await loopbackServer({ tables: { note: notes(600) } })
  })
  afterAll(() => server.stop())

  it('selectStorage(state).role: leader and follower both sync; the follower becomes leader with roleChanged', async () => {
    const locks = fakeLocks()
    const first = startApp(server, indexedDbPersistence('redux-roles', { locks }), 'roles-first')
    await first.syncNotes()
    await first.store.replica.flush()
    const second = startApp(server, indexedDbPersistence('redux-roles', { locks }), 'roles-second')
    await second.store.replica.whenHydrated()
    expect(second.notesInRedux()).toHaveLength(600)
    await second.syncNotes()
    const role = (app: typeof first) => app.replica.selectors.selectStorage(app.store.getState()).role
    expect([role(first), role(second)]).toEqual(['leader', 'follower'])

    await first.store.replica.close()
    await waitFor(second.store, () => role(second) === 'leader')
    await second.store.replica.flush()
    const disk = await onDisk('redux-roles')
    expect(typeof disk === 'object' && disk.rows).toEqual(second.notesInRedux())
    expect(second.replica.selectors.selectSubscription(second.store.getState(), NOTES).status).toBe('synced')
    await second.store.replica.close()
  })

  it('without a lock manager (Node, old browsers) every connection leads, as before', async () => {
    const app = startApp(server, indexedDbPersistence('no-locks'), 'no-locks')
    await app.store.replica.whenHydrated()
    expect(app.replica.selectors.selectStorage(app.store.getState()).role).toBe('leader')
    await app.store.replica.close()
  })
})

async function waitUntil(predicate: () => boolean, ms = 10_000) {
  const end = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function databases(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name ?? '')
}

/** Rewrites the stored format version, as another version of the app would have written it. */
function rewriteFormat(name: string, version: number) {
  return rewriteDocs(name, '_replica_meta', (doc) => doc.key === 'format', (doc) => ({ ...doc, value: version }))
}
