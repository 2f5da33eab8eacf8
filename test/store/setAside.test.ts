import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { filePersistence } from '../../src'
import { legacyFile } from '../fixtures/legacyDatabase'
import { frame, MAGIC, replayLog } from '../fixtures/logFile'
import { loopbackServer } from '../fixtures/loopbackServer'
import type { LoopbackServer } from '../fixtures/loopbackServer'
import { NOTES, notes, startApp, tempDir } from './harness'

let server: LoopbackServer
let temp: ReturnType<typeof tempDir>
beforeEach(async () => {
  temp = tempDir()
  server = await loopbackServer({ tables: { note: notes(1_000) } })
})
afterEach(async () => {
  await server.stop()
  temp.cleanup()
})

/** A database file as a complete sync leaves it. */
async function syncedDatabase(path: string): Promise<Buffer> {
  const app = startApp(server, filePersistence(path), 'writer')
  await app.syncNotes()
  await app.store.replica.close()
  return readFileSync(path)
}

/** The database of a log file, rewritten as one record with another format version. */
function withFormat(path: string, format: number): Buffer {
  const collections = [...replayLog(path)].map(([name, docs]) => ({
    name,
    maxId: Math.max(0, ...docs.keys()),
    put: [...docs.values()].map((doc) => (name === '_replica_meta' && doc.key === 'format' ? { ...doc, value: format } : doc)),
    removed: [],
  }))
  return Buffer.concat([Buffer.from(MAGIC), frame({ full: true, collections })])
}

const damages: Record<string, { reason: string; damage: (path: string, valid: Buffer) => Buffer }> = {
  // A torn *last* record is a crash, not damage (test/store/logFile.test.ts): the first one is
  // written whole before the file is renamed into place, so a cut inside it is damage.
  'a file cut inside its first record': { reason: 'unreadable', damage: (_path, valid) => valid.subarray(0, MAGIC.length + 20) },
  'a file of random bytes': { reason: 'unreadable', damage: () => randomBytes(4096) },
  'an empty file': { reason: 'unreadable', damage: () => Buffer.alloc(0) },
  'JSON that is not a Loki database': { reason: 'unreadable', damage: () => Buffer.from('{"hello":"world"}') },
  'a whole, checksummed record that is not a change set': { reason: 'unreadable', damage: () => Buffer.concat([Buffer.from(MAGIC), frame({ hello: 'world' } as never)]) },
  'a database of another format version': { reason: 'incompatible', damage: (path) => withFormat(path, 99) },
  'a database file of the layout before the log, of another format version': { reason: 'incompatible', damage: () => Buffer.from(legacyFile(99)) },
}

describe.each(Object.entries(damages))('%s', (_name, { reason, damage }) => {
  it('is set aside (kept on disk), the app is told, and the replica starts empty and resyncs', async () => {
    const path = join(temp.dir, 'replica.db')
    const damaged = damage(path, await syncedDatabase(path))
    expect(damaged.equals(readFileSync(path))).toBe(false)
    writeFileSync(path, damaged)

    const app = startApp(server, filePersistence(path), 'after')
    await app.store.replica.whenHydrated()
    const { setAside } = app.replica.selectors.selectStorage(app.store.getState())
    expect(setAside).toMatchObject({ reason, error: { code: `database_${reason}` } })
    expect(setAside?.error.message).toContain(setAside?.movedTo)
    expect(app.replica.selectors.selectHydration(app.store.getState()).status).toBe('hydrated')
    expect(app.replica.selectors.note.selectTotal(app.store.getState())).toBe(0)
    // The old bytes are still on disk, under the name the app was told.
    expect(readFileSync(setAside?.movedTo as string)).toEqual(damaged)
    expect(readdirSync(temp.dir).filter((f) => f.includes(reason))).toHaveLength(1)

    // The replica works: it syncs everything again, from the first page, and saves a good database.
    const synced = await app.syncNotes()
    expect(app.pullsOf()[0]?.cursor).toBeNull()
    expect(app.replica.selectors.selectSubscription(synced, NOTES).received).toBe(1_000)
    expect(app.notesInRedux()).toEqual(server.live('note'))
    await app.store.replica.close()

    const reopened = startApp(server, filePersistence(path), 'reopened')
    await reopened.store.replica.whenHydrated()
    expect(reopened.replica.selectors.selectStorage(reopened.store.getState()).setAside).toBeUndefined()
    expect(reopened.notesInRedux()).toHaveLength(1_000)
    await reopened.store.replica.close()
    expect(existsSync(setAside?.movedTo as string)).toBe(true)
  })
})
