import { join } from 'node:path'
import Loki from 'lokijs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { filePersistence, memoryPersistence } from '../../src'
import type { Persistence } from '../../src'
import { openLocalStore } from '../../src/store/localStore'
import { loopbackServer } from '../fixtures/loopbackServer'
import { withSaves } from '../fixtures/recordingPersistence'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { notes, startApp, tempDir } from './harness'

const HELD = 100_000
const scope = { key: 'note:{}', collection: 'note', filter: {} }

/** Wraps a persistence to count the documents each save writes. */
function counting(inner: Persistence) {
  const saves: number[] = []
  const persistence = withSaves(inner, (take, connection) =>
    connection.save((full) => {
      const changes = take(full)
      saves.push(changes.collections.reduce((sum, c) => sum + c.put.length + c.removed.length, 0))
      return changes
    }),
  )
  return { persistence, saves }
}

let server: LoopbackServer
let temp: ReturnType<typeof tempDir>
beforeAll(async () => {
  temp = tempDir()
  server = await loopbackServer({ tables: { note: notes(HELD) } })
})
afterAll(async () => {
  await server.stop()
  temp.cleanup()
})

describe.each([
  ['memoryPersistence', () => memoryPersistence()],
  ['filePersistence', () => filePersistence(join(temp.dir, 'resubscribe.db'))],
])('a re-subscribe with %s and 100,000 rows held', (_name, make) => {
  it('brings one changed row and reports synced after a save of that change alone: a few documents, nothing serialized whole', async () => {
    // What an earlier run left: every row, and the subscription's cursor at the end of the stream.
    const stored = make()
    const planted = await openLocalStore({ persistence: stored, collections: { note: { primaryKey: 'id' } } })
    const changes = notes(HELD).map((row) => ({ key: row.id, version: row.id, deleted: false as const, row: { ...row, _version: row.id } }))
    planted.applyPage({ subscription: scope, changes, checkpoint: Buffer.from(JSON.stringify([HELD, String(HELD)])).toString('base64url') })
    planted.caughtUp(scope)
    await planted.close()
    server.upsert('note', { id: 7, project_id: 1, body: `changed for ${_name}` })

    const { persistence, saves } = counting(stored)
    // RTK's checks stay on, except over the 100,000 rows (they would walk them on every dispatch).
    const app = startApp(server, persistence, `again-${_name}`, { unchecked: ['replica.collections'] })
    await app.store.replica.whenHydrated()
    expect(app.notesInRedux()).toHaveLength(HELD)
    const serialize = vi.spyOn(Loki.prototype, 'serialize')
    const stringify = vi.spyOn(JSON, 'stringify')
    await app.syncNotes()
    const longest = Math.max(0, ...stringify.mock.results.map((r) => (typeof r.value === 'string' ? r.value.length : 0)))
    serialize.mockRestore()
    stringify.mockRestore()

    expect(app.pullsOf()).toHaveLength(1)
    expect(app.replica.selectors.note.selectById(app.store.getState(), 7)).toMatchObject({ body: `changed for ${_name}` })
    // The catch-up's save (before `synced`) wrote the row and the subscription, not the database.
    expect(saves.length).toBeGreaterThan(0)
    expect(Math.max(...saves)).toBeLessThanOrEqual(3)
    expect(serialize).not.toHaveBeenCalled()
    expect(longest).toBeLessThan(4_096)
    await app.store.replica.close()
  })
})
