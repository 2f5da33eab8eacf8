import path from 'node:path'
import Database from 'better-sqlite3'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { text, useNotesAppInChromium } from './e2eHarness'

// Two tabs of the notes app in one browser profile: one writes IndexedDB (the Web Lock's holder),
// the other follows, and takes over when the first closes. Both poll only once an hour, so what
// reaches a tab within LIVE ms came over its live channel, not a poll.
const env = useNotesAppInChromium('multitab')
const LEADER = 'this tab saves'
const FOLLOWER = 'another tab saves'
const HOUR = 3_600_000
/** Longer than a pull of one change takes on a busy machine; far shorter than a poll. */
const LIVE = 5_000

type Snapshot = { ids: string[]; setAside: unknown; role: unknown; databases: string[] }

/** The notes of project 1 held in Redux, and the ones IndexedDB holds (pending writes laid over). */
async function snapshot(page: Page): Promise<{ redux: Snapshot; disk: { ids: string[]; outbox: number } }> {
  return page.evaluate(async () => {
    type Shards = { shards: Array<{ keys: string[]; rows: Array<{ project_id: number }> }> }
    const state = (window as unknown as { replicaStore: { getState(): { replica: { collections: { note: Shards }; storage: { setAside?: unknown; role?: unknown } } } } }).replicaStore.getState().replica
    const ids = state.collections.note.shards.flatMap((shard) => shard.keys.filter((_, i) => shard.rows[i]!.project_id === 1)).sort()
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('redux-replica-notes')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    // One record per document, keyed [collection, $loki] (docs/persistence.md).
    const store = db.transaction('docs', 'readonly').objectStore('docs')
    const all = <T,>(req: IDBRequest<T>) => new Promise<T>((resolve, reject) => {
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    const [keys, values] = await Promise.all([all(store.getAllKeys()), all(store.getAll())])
    db.close()
    const docs = (name: string) => values.filter((_, i) => (keys[i] as [string, number])[0] === name) as Array<Record<string, unknown>>
    const rows = new Map(docs('note').map((doc) => [String(doc.k), doc.r as { project_id: number }]))
    const outbox = docs('_replica_outbox').sort((a, b) => (a.seq as number) - (b.seq as number))
    for (const entry of outbox) {
      if (entry.collection !== 'note') continue
      if (entry.op === 'upsert') rows.set(String(entry.key), entry.row as { project_id: number })
      else rows.delete(String(entry.key))
    }
    const diskIds = [...rows].filter(([, row]) => row.project_id === 1).map(([k]) => k).sort()
    const databases = (await indexedDB.databases()).map((d) => d.name ?? '')
    return {
      redux: { ids, setAside: state.storage.setAside ?? null, role: state.storage.role ?? null, databases },
      disk: { ids: diskIds, outbox: outbox.length },
    }
  })
}

describe('the notes example in two tabs', () => {
  it('a note written in either tab, or on the server, shows in both at once; the follower takes over when the leader closes, and reopens offline intact', async () => {
    const context = await env.browser.newContext()
    const errors: string[] = []
    const withLiveChannel = new Set<Page>()
    const open = async () => {
      const page = await context.newPage()
      page.on('pageerror', (error) => errors.push(error.message))
      page.on('request', (request) => {
        if (new URL(request.url()).pathname === '/replica/live') withLiveChannel.add(page)
      })
      await page.goto(`${env.app.url}/?pollingInterval=${HOUR}`)
      await page.getByTestId('status-notes').filter({ hasText: 'synced' }).waitFor({ timeout: 90_000 })
      await page.getByTestId('status-contacts').filter({ hasText: 'synced' }).waitFor({ timeout: 30_000 })
      return page
    }
    const first = await open()
    await first.evaluate(() => (window as unknown as { replicaStore: { replica: { flush(): Promise<void> } } }).replicaStore.replica.flush())
    const second = await open()
    expect(await text(first, 'counts')).toBe('10000 notes, 1000 contacts')
    expect(await text(second, 'counts')).toBe('10000 notes, 1000 contacts')
    await first.getByTestId('role').filter({ hasText: LEADER }).waitFor({ timeout: 10_000 })
    expect(await text(second, 'role')).toBe(FOLLOWER)

    // Each tab holds its own live channel (the follower syncs too; it only never saves).
    expect([...withLiveChannel]).toEqual([first, second])

    // A note written in the follower: shown there at once, pushed by it, poked to the leader.
    await second.getByTestId('draft').fill('written in the second tab')
    await second.getByRole('button', { name: 'Add' }).click()
    await second.getByText('written in the second tab').waitFor({ timeout: 10_000 })
    await second.getByTestId('pending').filter({ hasText: '0 to push' }).waitFor({ timeout: 30_000 })
    await first.getByText('written in the second tab').waitFor({ timeout: LIVE })

    // And the other way: written in the leader, poked to the follower.
    await first.getByTestId('draft').fill('written in the first tab')
    await first.getByRole('button', { name: 'Add' }).click()
    await first.getByTestId('pending').filter({ hasText: '0 to push' }).waitFor({ timeout: 30_000 })
    await second.getByText('written in the first tab').waitFor({ timeout: LIVE })

    // A note written on the server in plain SQL, past the replica handler: its triggers move the
    // version clock, the server notices and pokes both tabs.
    const db = new Database(env.app.file)
    try {
      db.prepare('INSERT INTO notes (id, project_id, contact_id, body, created_at, updated_at) VALUES (?, 1, 1, ?, ?, ?)')
        .run(900_001, 'written on the server', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')
    } finally {
      db.close()
    }
    await first.getByText('written on the server').waitFor({ timeout: LIVE })
    await second.getByText('written on the server').waitFor({ timeout: LIVE })
    expect(await text(first, 'counts')).toBe('10003 notes, 1000 contacts')
    expect(await text(second, 'counts')).toBe('10003 notes, 1000 contacts')
    expect(await text(second, 'role')).toBe(FOLLOWER)

    // The leader's tab closes: the follower takes the lead, and saves its memory in full.
    await first.close()
    await second.getByTestId('role').filter({ hasText: LEADER }).waitFor({ timeout: 10_000 })
    await second.evaluate(() => (window as unknown as { replicaStore: { replica: { flush(): Promise<void> } } }).replicaStore.replica.flush())
    const led = await snapshot(second)
    expect(led.disk.ids).toEqual(led.redux.ids)
    expect(led.redux.ids).toHaveLength(10_003)

    // Offline, the new leader reloads: every row and the note are there, from an intact database.
    await context.route('**/replica/**', (route) => route.abort('internetdisconnected'))
    await second.reload()
    await second.getByTestId('hydration').filter({ hasText: 'hydrated' }).waitFor({ timeout: 30_000 })
    expect(await text(second, 'counts')).toBe('10003 notes, 1000 contacts')
    await second.getByText('written in the second tab').waitFor({ timeout: 10_000 })
    await second.getByText('written on the server').waitFor({ timeout: 10_000 })
    await second.getByTestId('role').filter({ hasText: LEADER }).waitFor({ timeout: 10_000 })
    const reopened = await snapshot(second)
    expect(reopened.redux.ids).toEqual(led.redux.ids)
    expect(reopened.disk.ids).toEqual(reopened.redux.ids)
    expect(reopened.redux.setAside).toBeNull()
    expect(reopened.redux.databases.filter((name) => name.startsWith('redux-replica-notes'))).toEqual(['redux-replica-notes'])
    await second.screenshot({ path: path.join(process.env.SCREENSHOT_DIR ?? env.dir, 'notes-multitab.png') })
    expect(errors).toEqual([])
    await context.close()
  }, 240_000)
})
