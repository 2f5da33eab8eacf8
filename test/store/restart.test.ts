import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { filePersistence } from '../../src'
import { loopbackServer } from '../fixtures/loopbackServer'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { NOTES, notes, startApp, tempDir } from './harness'

let server: LoopbackServer
let temp: ReturnType<typeof tempDir>
beforeEach(async () => {
  temp = tempDir()
  server = await loopbackServer({ tables: { note: notes(2_000) } })
})
afterEach(async () => {
  await server.stop().catch(() => {})
  temp.cleanup()
})

describe('a replica with file persistence, restarted', () => {
  it('opens with every row when the server is down, and later asks only for what changed after its stored cursor', async () => {
    const path = join(temp.dir, 'replica.db')
    const first = startApp(server, filePersistence(path), 'first')
    await first.syncNotes()
    const lastCursor = first.pullsOf().at(-1)?.next
    expect(lastCursor).toBeTruthy()
    await first.store.replica.close()

    // The network goes away; meanwhile three notes change on the server.
    await server.stop()
    server.upsert('note', { id: 7, project_id: 1, body: 'edited' })
    server.upsert('note', { id: 2_001, project_id: 1, body: 'new' })
    server.remove('note', 9)

    const offline = startApp(server, filePersistence(path), 'offline')
    await offline.store.replica.whenHydrated()
    const state = offline.store.getState()
    expect(offline.replica.selectors.selectHydration(state).status).toBe('hydrated')
    expect(offline.notesInRedux()).toEqual(first.notesInRedux())
    expect(offline.notesInRedux()).toHaveLength(2_000)
    // The subscription's state is restored too, before anything is pulled.
    expect(offline.replica.selectors.selectSubscription(state, NOTES)).toMatchObject({
      status: 'idle',
      received: 2_000,
      lastSyncedAt: first.replica.selectors.selectSubscription(first.store.getState(), NOTES).lastSyncedAt,
    })
    expect(offline.pullsOf()).toEqual([])
    await offline.store.replica.close()

    await server.start()
    const back = startApp(server, filePersistence(path), 'back')
    const synced = await back.syncNotes()
    expect(back.pullsOf()[0]?.cursor).toBe(lastCursor)
    expect(back.replica.selectors.selectSubscription(synced, NOTES).received).toBe(2_003)
    expect(back.notesInRedux()).toEqual(server.live('note'))
    await back.store.replica.close()
  })

  it('holds a subscribe dispatched before hydration ends, and runs it from the stored cursor', async () => {
    const path = join(temp.dir, 'replica.db')
    const first = startApp(server, filePersistence(path), 'first')
    await first.syncNotes()
    await first.store.replica.close()

    const second = startApp(server, filePersistence(path), 'second')
    // Dispatched at once: the database is still being read.
    expect(second.replica.selectors.selectHydration(second.store.getState()).status).toBe('pending')
    const synced = await second.syncNotes()
    expect(second.pullsOf()[0]?.cursor).toBe(first.pullsOf().at(-1)?.next)
    expect(second.pullsOf()).toHaveLength(1)
    expect(second.replica.selectors.note.selectTotal(synced)).toBe(2_000)
    await second.store.replica.close()
  })
})
