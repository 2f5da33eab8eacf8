import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNotesApp } from './main'

// The example app in real Chromium: it syncs the 2015 data into IndexedDB, and opens with it
// while the server cannot be reached.
let app: Awaited<ReturnType<typeof startNotesApp>>
let browser: Browser
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'replica-notes-'))
  app = await startNotesApp({ file: path.join(dir, 'server.db'), port: 0 })
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await app?.close()
  rmSync(dir, { recursive: true, force: true })
})

const text = (page: Page, id: string) => page.getByTestId(id).textContent()

describe('the notes example in Chromium', () => {
  it('syncs project 1 into IndexedDB, opens with it offline, and pushes a note written offline once back', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(app.url)
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
    await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR ?? dir, 'notes-offline.png') })

    // The server comes back: the note reaches it once, and the app shows the server's row.
    await context.unroute('**/replica/**')
    await page.evaluate(() => window.dispatchEvent(new Event('online')))
    await page.getByTestId('pending').filter({ hasText: '0 to push' }).waitFor({ timeout: 60_000 })
    const db = new Database(app.file, { readonly: true })
    const stored = db.prepare('SELECT body, _version FROM notes WHERE body = ?').all('written on a train')
    db.close()
    expect(stored).toHaveLength(1)
    expect(errors).toEqual([])
    await context.close()
  }, 180_000)
})
