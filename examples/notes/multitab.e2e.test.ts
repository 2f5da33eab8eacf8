import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { text, useNotesAppInChromium } from './e2eHarness'

// Two tabs of the notes app in one browser profile: one writes IndexedDB (the Web Lock's holder),
// the other follows, and takes over when the first closes.
const env = useNotesAppInChromium('multitab')
const LEADER = 'this tab saves'
const FOLLOWER = 'another tab saves'

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
    const chunks = await new Promise<Array<{ key: string; value: string }>>((resolve, reject) => {
      const req = db.transaction('LokiIncrementalData', 'readonly').objectStore('LokiIncrementalData').getAll()
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    db.close()
    // Only the collections the `loki` chunk lists, and their chunks: what a load reads.
    const loki = JSON.parse(chunks.find((c) => c.key === 'loki')!.value) as { collections: Array<{ name: string }> }
    const docs = (name: string) => {
      if (!loki.collections.some((c) => c.name === name)) return []
      return chunks.filter((c) => c.key.startsWith(`${name}.chunk.`)).flatMap((c) => JSON.parse(c.value) as Array<Record<string, unknown>>)
    }
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
  it('one tab writes, the other follows live; the follower takes over when the leader closes, and reopens offline intact', async () => {
    const context = await env.browser.newContext()
    const errors: string[] = []
    const open = async () => {
      const page = await context.newPage()
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(env.app.url)
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

    // A note written in the follower: shown there at once, pushed by it, pulled by the leader.
    await second.getByTestId('draft').fill('written in the second tab')
    await second.getByRole('button', { name: 'Add' }).click()
    await second.getByText('written in the second tab').waitFor({ timeout: 10_000 })
    await second.getByTestId('pending').filter({ hasText: '0 to push' }).waitFor({ timeout: 30_000 })
    // The leader pulls on focus (or its next poll).
    await first.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
    await first.getByText('written in the second tab').waitFor({ timeout: 45_000 })
    expect(await text(first, 'counts')).toBe('10001 notes, 1000 contacts')
    expect(await text(second, 'counts')).toBe('10001 notes, 1000 contacts')
    expect(await text(second, 'role')).toBe(FOLLOWER)

    // The leader's tab closes: the follower takes the lead, and saves its memory in full.
    await first.close()
    await second.getByTestId('role').filter({ hasText: LEADER }).waitFor({ timeout: 10_000 })
    await second.evaluate(() => (window as unknown as { replicaStore: { replica: { flush(): Promise<void> } } }).replicaStore.replica.flush())
    const led = await snapshot(second)
    expect(led.disk.ids).toEqual(led.redux.ids)
    expect(led.redux.ids).toHaveLength(10_001)

    // Offline, the new leader reloads: every row and the note are there, from an intact database.
    await context.route('**/replica/**', (route) => route.abort('internetdisconnected'))
    await second.reload()
    await second.getByTestId('hydration').filter({ hasText: 'hydrated' }).waitFor({ timeout: 30_000 })
    expect(await text(second, 'counts')).toBe('10001 notes, 1000 contacts')
    await second.getByText('written in the second tab').waitFor({ timeout: 10_000 })
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
