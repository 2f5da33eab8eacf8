import Database from 'better-sqlite3'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { contextAt, flushReplica, screenshot, text, upToDate, useNotesAppInChromium, WIDTHS } from './e2eHarness'

// Two tabs of the notes app in one browser profile: one writes IndexedDB (the Web Lock's holder),
// the other follows, and takes over when the first closes. Both poll only once an hour, so what
// reaches a tab within LIVE ms came over its live channel, not a poll.
const env = useNotesAppInChromium('multitab')
const HOUR = 3_600_000
/** Longer than a pull of one change takes on a busy machine; far shorter than a poll. */
const LIVE = 5_000

type Snapshot = { ids: string[]; setAside: unknown; role: unknown; databases: string[] }

/** Whether this tab writes IndexedDB (the Web Lock's holder: `leader`) or follows. */
const role = (page: Page) =>
  page.evaluate(() => (window as unknown as { replicaStore: { getState(): { replica: { storage: { role?: string } } } } }).replicaStore.getState().replica.storage.role)
const becomes = (page: Page, wanted: string) =>
  page.waitForFunction(
    (wanted) => (window as unknown as { replicaStore: { getState(): { replica: { storage: { role?: string } } } } }).replicaStore.getState().replica.storage.role === wanted,
    wanted,
    { timeout: 10_000 },
  )
const COUNTS = (notes: string) => `${notes} notes · 1,000 contacts`
/** A note shown in the list (the newest are at its top, in view). */
const note = (page: Page, body: string) => page.locator('.note-row').filter({ hasText: body }).waitFor({ timeout: LIVE })

/** Writes a note through the form, and waits until the server has it. */
async function write(page: Page, body: string) {
  await page.getByLabel('New note').fill(body)
  await page.getByRole('button', { name: 'Add', exact: true }).click()
  await page.locator('.note-row').filter({ hasText: body }).waitFor({ timeout: 10_000 })
  await upToDate(page, 30_000)
}

/** The notes of project 1 held in Redux, and the ones IndexedDB holds (pending writes laid over). */
async function snapshot(page: Page): Promise<{ redux: Snapshot; disk: { ids: string[]; outbox: number } }> {
  return page.evaluate(async () => {
    type Groups = { groups: Array<Array<{ keys: string[]; rows: Array<{ project_id: number }> }>> }
    const state = (window as unknown as { replicaStore: { getState(): { replica: { collections: { note: Groups }; storage: { setAside?: unknown; role?: unknown } } } } }).replicaStore.getState().replica
    const ids = state.collections.note.groups.flat().flatMap((shard) => shard.keys.filter((_, i) => shard.rows[i]!.project_id === 1)).sort()
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('redux-replica-notes')
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    // Snapshot chunks keyed [collection, n], then the log's change sets in key order (docs/persistence.md).
    const tx = db.transaction(['chunks', 'log'], 'readonly')
    const all = <T,>(req: IDBRequest<T>) => new Promise<T>((resolve, reject) => {
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    type Doc = Record<string, unknown> & { $loki: number }
    const [chunkKeys, chunks, records] = await Promise.all([all(tx.objectStore('chunks').getAllKeys()), all(tx.objectStore('chunks').getAll()), all(tx.objectStore('log').getAll())])
    db.close()
    const byId = new Map<string, Map<number, Doc>>()
    const table = (name: string) => byId.get(name) ?? byId.set(name, new Map()).get(name)!
    chunkKeys.forEach((key, i) => (chunks[i] as Doc[]).forEach((doc) => table((key as [string, number])[0]).set(doc.$loki, doc)))
    for (const record of records as Array<{ collections: Array<{ name: string; put: Doc[]; removed: number[] }> }>) {
      for (const { name, put, removed } of record.collections) {
        put.forEach((doc) => table(name).set(doc.$loki, doc))
        removed.forEach((id) => table(name).delete(id))
      }
    }
    const docs = (name: string) => [...table(name).values()] as Array<Record<string, unknown>>
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

describe.each(WIDTHS)('the notes example in two tabs at $viewport.width px ($name)', (width) => {
  it('a note written in either tab, or on the server, shows in both at once; the follower takes over when the leader closes, and reopens offline intact', async () => {
    const context = await contextAt(env.browser, width)
    const errors: string[] = []
    const withLiveChannel = new Set<Page>()
    const open = async () => {
      const page = await context.newPage()
      page.on('pageerror', (error) => errors.push(error.message))
      page.on('request', (request) => {
        if (new URL(request.url()).pathname === '/replica/live') withLiveChannel.add(page)
      })
      await page.goto(`${env.app.url}/?pollingInterval=${HOUR}`)
      await upToDate(page)
      return page
    }
    const first = await open()
    await flushReplica(first)
    const second = await open()
    const before = Number((await text(first, 'counts'))!.split(' ')[0]!.replace(/,/g, ''))
    expect(await text(second, 'counts')).toBe(await text(first, 'counts'))
    await becomes(first, 'leader')
    expect(await role(second)).toBe('follower')

    // Each tab holds its own live channel (the follower syncs too; it only never saves).
    expect([...withLiveChannel]).toEqual([first, second])

    // A note written in the follower: shown there at once, pushed by it, poked to the leader.
    await write(second, `written in the second tab at ${width.name} width`)
    await note(first, `written in the second tab at ${width.name} width`)

    // And the other way: written in the leader, poked to the follower.
    await write(first, `written in the first tab at ${width.name} width`)
    await note(second, `written in the first tab at ${width.name} width`)

    // A note written on the server in plain SQL, past the replica handler: its triggers move the
    // version clock, the server notices and pokes both tabs.
    const db = new Database(env.app.file)
    try {
      db.prepare('INSERT INTO notes (id, project_id, contact_id, body, created_at, updated_at) VALUES (?, 1, 1, ?, ?, ?)')
        .run(900_000 + before, `written on the server at ${width.name} width`, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')
    } finally {
      db.close()
    }
    await note(first, `written on the server at ${width.name} width`)
    await note(second, `written on the server at ${width.name} width`)
    const after = COUNTS((before + 3).toLocaleString('en-US'))
    await first.getByTestId('counts').filter({ hasText: after }).waitFor({ timeout: LIVE })
    await second.getByTestId('counts').filter({ hasText: after }).waitFor({ timeout: LIVE })
    expect(await role(second)).toBe('follower')

    // The leader's tab closes: the follower takes the lead, and saves its memory in full.
    await first.close()
    await becomes(second, 'leader')
    await flushReplica(second)
    const led = await snapshot(second)
    expect(led.disk.ids).toEqual(led.redux.ids)
    expect(led.redux.ids).toHaveLength(before + 3)

    // Offline, the new leader reloads: every row and the note are there, from an intact database.
    await context.route('**/replica/**', (route) => route.abort('internetdisconnected'))
    await second.reload()
    await second.getByTestId('counts').filter({ hasText: after }).waitFor({ timeout: 30_000 })
    await second.getByTestId('connection').filter({ hasText: 'Offline' }).waitFor({ timeout: 10_000 })
    await note(second, `written in the second tab at ${width.name} width`)
    await note(second, `written on the server at ${width.name} width`)
    await becomes(second, 'leader')
    const reopened = await snapshot(second)
    expect(reopened.redux.ids).toEqual(led.redux.ids)
    expect(reopened.disk.ids).toEqual(reopened.redux.ids)
    expect(reopened.redux.setAside).toBeNull()
    expect(reopened.redux.databases.filter((name) => name.startsWith('redux-replica-notes'))).toEqual(['redux-replica-notes'])
    await screenshot(second, `multitab-${width.name}`, env.dir)
    expect(errors).toEqual([])
    await context.close()
  }, 240_000)
})
