import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryPersistence } from '../../src'
import type { StoredDatabase } from '../../src'
import { openLocalStore } from '../../src/store/localStore'
import { createSaveQueue } from '../../src/store/saveQueue'
import { loopbackServer } from '../fixtures/loopbackServer'
import { recordingPersistence } from '../fixtures/recordingPersistence'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { waitFor } from '../fixtures/store'
import { NOTES, notes, startApp } from './harness'

let server: LoopbackServer | undefined
afterEach(async () => {
  await server?.stop()
  server = undefined
})

/** What a stored database holds: our documents `{ k, v, r }` and the subscription's cursor. */
function readSnapshot(stored: StoredDatabase) {
  const rows = stored.collections.find((c) => c.name === 'note')?.data ?? []
  const subscription = stored.collections.find((c) => c.name === '_replica_subscriptions')?.data[0]
  const cursor = subscription?.checkpoint as string | null | undefined
  const [version] = cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [number, string]) : [0]
  return { ids: rows.map((doc) => (doc.r as { id: number }).id), version }
}

describe('saving', () => {
  it('during a long sync, saves are periodic and coalesced, and no snapshot holds a cursor ahead of its rows', async () => {
    server = await loopbackServer({ tables: { note: notes(2_000) }, delayMs: 10 })
    const { persistence, snapshots } = recordingPersistence()
    const saveInterval = 100
    const app = startApp(server, persistence, 'long', { pageSize: 40, saveInterval })
    const started = Date.now()
    await app.syncNotes()
    const elapsed = Date.now() - started
    await app.store.replica.close()

    const pages = app.pullsOf().length
    expect(pages).toBe(50)
    // Saved while syncing, not only at the end; at most once per interval (plus the flushes at
    // catch-up and close), never once per page.
    expect(snapshots.length).toBeGreaterThanOrEqual(3)
    expect(snapshots.length).toBeLessThanOrEqual(Math.ceil(elapsed / saveInterval) + 2)
    expect(snapshots.length).toBeLessThan(pages)
    for (const snapshot of snapshots) {
      // Each row's version is its id here: a cursor at version v needs exactly rows 1..v.
      const { ids, version } = readSnapshot(snapshot)
      expect(ids.length).toBe(version)
      expect(Math.max(0, ...ids)).toBe(version)
    }
    expect(readSnapshot(snapshots.at(-1) as StoredDatabase).version).toBe(2_000)
  })

  it('a failing save is reported, retried, and nothing is lost once the storage recovers', async () => {
    server = await loopbackServer({ tables: { note: notes(500) } })
    const { persistence, snapshots } = recordingPersistence({ failures: 2 })
    const app = startApp(server, persistence, 'failing', { saveInterval: 20 })
    app.store.dispatch(app.replica.actions.subscribe(NOTES))
    const failing = await waitFor(app.store, (s) => app.replica.selectors.selectStorage(s).status === 'failing')
    expect(app.replica.selectors.selectStorage(failing).error).toMatchObject({ code: 'storage', message: expect.stringContaining('ENOSPC') })
    // Redux has the data all along, and a retry gets it saved.
    await waitFor(app.store, (s) => app.replica.selectors.selectStorage(s).status === 'ok')
    expect(app.replica.selectors.note.selectTotal(app.store.getState())).toBe(500)
    await app.store.replica.flush()
    expect(readSnapshot(snapshots.at(-1) as StoredDatabase).ids).toHaveLength(500)
    await app.store.replica.close()
  })

  it('flush() rejects with the storage error when the save fails', async () => {
    const { persistence } = recordingPersistence({ failures: 1 })
    const store = await openLocalStore({ persistence, collections: { note: { primaryKey: 'id' } }, saveInterval: 60_000 })
    store.applyPage({ subscription: { key: 'k', collection: 'note', filter: {} }, changes: [{ key: 1, version: 1, deleted: false, row: { id: 1 } }], checkpoint: 'c1' })
    await expect(store.flush()).rejects.toMatchObject({ code: 'storage' })
    await expect(store.flush()).resolves.toBeUndefined()
    await store.close()
  })
})

describe('the save queue', () => {
  it('runs one save at a time and queues at most one: flushes during a save share the next', async () => {
    const started: number[] = []
    let release: (() => void)[] = []
    const queue = createSaveQueue({
      interval: 60_000,
      save: () => {
        started.push(Date.now())
        return new Promise<void>((resolve) => release.push(resolve))
      },
      onSaved: () => {},
    })
    queue.changed()
    const first = queue.flush()
    queue.changed()
    const queued = Array.from({ length: 10 }, () => queue.flush())
    expect(new Set(queued).size).toBe(1)
    expect(started).toHaveLength(1)
    release.shift()?.()
    await first
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(started).toHaveLength(2)
    release.shift()?.()
    await Promise.all(queued)
    // Nothing changed since: a flush has nothing to do.
    await queue.flush()
    expect(started).toHaveLength(2)
    queue.stop()
    release = []
  })

  it('waits only the interval after a slow save (a save costs what changed), and gathers the changes made during one into the next', async () => {
    vi.useFakeTimers()
    try {
      const saves: number[] = []
      const queue = createSaveQueue({
        interval: 100,
        save: async () => {
          saves.push(Date.now())
          await new Promise((resolve) => setTimeout(resolve, 300)) // a slow disk
        },
        onSaved: () => {},
      })
      const start = Date.now()
      const at = () => saves.map((t) => t - start)
      queue.changed()
      await vi.advanceTimersByTimeAsync(100)
      expect(at()).toEqual([100])
      // Changes during the save: one more save, right after it.
      queue.changed()
      queue.changed()
      await vi.advanceTimersByTimeAsync(300)
      expect(at()).toEqual([100, 400])
      await vi.advanceTimersByTimeAsync(300)
      // After a 300 ms save, the next change waits the interval, not a multiple of 300 ms.
      queue.changed()
      await vi.advanceTimersByTimeAsync(100)
      expect(at()).toEqual([100, 400, 800])
      queue.stop()
    } finally {
      vi.useRealTimers()
    }
  })

  it('saves by itself within the interval of a change', async () => {
    let saves = 0
    const queue = createSaveQueue({ interval: 10, save: async () => void saves++, onSaved: () => {} })
    queue.changed()
    queue.changed()
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(saves).toBe(1)
    queue.stop()
  })
})

describe('in a browser', () => {
  const g = globalThis as { window?: EventTarget; document?: EventTarget & { visibilityState: string } }
  afterEach(() => {
    delete g.window
    delete g.document
  })

  it.each(['pagehide', 'visibilitychange to hidden'])('saves on %s', async (event) => {
    g.window = new EventTarget()
    g.document = Object.assign(new EventTarget(), { visibilityState: 'visible' })
    const persistence = memoryPersistence()
    const store = await openLocalStore({ persistence, collections: { note: { primaryKey: 'id' } }, saveInterval: 60_000 })
    store.applyPage({ subscription: { key: 'k', collection: 'note', filter: {} }, changes: [{ key: 1, version: 1, deleted: false, row: { id: 1 } }], checkpoint: 'c1' })
    expect(persistence.saved.size).toBe(0)
    if (event === 'pagehide') g.window.dispatchEvent(new Event('pagehide'))
    else {
      g.document.visibilityState = 'hidden'
      g.document.dispatchEvent(new Event('visibilitychange'))
    }
    await store.flush()
    expect(persistence.saved.get(persistence.name)?.get('_replica_subscriptions')?.docs.get(1)).toMatchObject({ key: 'k', checkpoint: 'c1' })
    await store.close()
  })
})
