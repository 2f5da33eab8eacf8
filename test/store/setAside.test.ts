import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { filePersistence, FORMAT_VERSION } from '../../src'
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
async function syncedDatabase(path: string): Promise<string> {
  const app = startApp(server, filePersistence(path), 'writer')
  await app.syncNotes()
  await app.store.replica.close()
  return readFileSync(path, 'utf8')
}

const damages: Record<string, { reason: string; damage: (valid: string) => string | Buffer }> = {
  'a truncated file': { reason: 'unreadable', damage: (valid) => valid.slice(0, Math.floor(valid.length / 2)) },
  'a file of random bytes': { reason: 'unreadable', damage: () => randomBytes(4096) },
  'an empty file': { reason: 'unreadable', damage: () => '' },
  'JSON that is not a Loki database': { reason: 'unreadable', damage: () => '{"hello":"world"}' },
  'a database of another format version': {
    reason: 'incompatible',
    damage: (valid) => valid.replace(`{"key":"format","value":${FORMAT_VERSION}`, '{"key":"format","value":99'),
  },
}

describe.each(Object.entries(damages))('%s', (_name, { reason, damage }) => {
  it('is set aside (kept on disk), the app is told, and the replica starts empty and resyncs', async () => {
    const path = join(temp.dir, 'replica.db')
    const damaged = damage(await syncedDatabase(path))
    expect(damaged.length === 0 || damaged !== readFileSync(path, 'utf8')).toBe(true)
    writeFileSync(path, damaged)

    const app = startApp(server, filePersistence(path), 'after')
    await app.store.replica.whenHydrated()
    const { setAside } = app.replica.selectors.selectStorage(app.store.getState())
    expect(setAside).toMatchObject({ reason, error: { code: `database_${reason}` } })
    expect(setAside?.error.message).toContain(setAside?.movedTo)
    expect(app.replica.selectors.selectHydration(app.store.getState()).status).toBe('hydrated')
    expect(app.replica.selectors.note.selectTotal(app.store.getState())).toBe(0)
    // The old bytes are still on disk, under the name the app was told.
    expect(readFileSync(setAside?.movedTo as string)).toEqual(Buffer.from(damaged))
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
