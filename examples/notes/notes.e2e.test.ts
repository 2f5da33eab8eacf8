import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { text, useNotesAppInChromium } from './e2eHarness'

// The example app in real Chromium: it syncs the 2015 data into IndexedDB, and opens with it
// while the server cannot be reached.
const env = useNotesAppInChromium('notes')

describe('the notes example in Chromium', () => {
  it('syncs project 1 into IndexedDB, opens with it offline, and pushes a note written offline once back', async () => {
    const context = await env.browser.newContext()
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(env.app.url)
    await page.getByTestId('status-notes').filter({ hasText: 'synced' }).waitFor({ timeout: 90_000 })
    await page.getByTestId('status-contacts').filter({ hasText: 'synced' }).waitFor({ timeout: 30_000 })
    expect(await text(page, 'counts')).toBe('10000 notes, 1000 contacts')
    await page.evaluate(() => (window as unknown as { replicaStore: { replica: { flush(): Promise<void> } } }).replicaStore.replica.flush())

    // The server goes away: every request to the replica endpoint now fails at the network level.
    await context.route('**/replica/**', (route) => route.abort('internetdisconnected'))
    await page.reload()
    await page.getByTestId('hydration').filter({ hasText: 'hydrated' }).waitFor({ timeout: 30_000 })
    expect(await text(page, 'counts')).toBe('10000 notes, 1000 contacts')
    expect(await text(page, 'status-notes')).not.toContain('synced')

    // A note written offline shows at once, and survives a reload while still offline.
    await page.getByTestId('draft').fill('written on a train')
    await page.getByRole('button', { name: 'Add' }).click()
    await page.getByText('written on a train').waitFor({ timeout: 10_000 })
    expect(await text(page, 'counts')).toBe('10001 notes, 1000 contacts')
    await page.getByTestId('pending').filter({ hasText: '1 to push' }).waitFor({ timeout: 10_000 })
    await page.reload()
    await page.getByTestId('hydration').filter({ hasText: 'hydrated' }).waitFor({ timeout: 30_000 })
    await page.getByText('written on a train').waitFor({ timeout: 10_000 })
    await page.getByTestId('pending').filter({ hasText: '1 to push' }).waitFor({ timeout: 10_000 })
    await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR ?? env.dir, 'notes-offline.png') })

    // The server comes back: the note reaches it once, and the app shows the server's row.
    await context.unroute('**/replica/**')
    await page.evaluate(() => window.dispatchEvent(new Event('online')))
    await page.getByTestId('pending').filter({ hasText: '0 to push' }).waitFor({ timeout: 60_000 })
    const db = new Database(env.app.file, { readonly: true })
    const stored = db.prepare('SELECT body, _version FROM notes WHERE body = ?').all('written on a train')
    db.close()
    expect(stored).toHaveLength(1)
    expect(errors).toEqual([])
    await context.close()
  }, 180_000)
})
