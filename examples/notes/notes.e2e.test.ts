import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
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
  it('syncs project 1 into IndexedDB, then opens with it while offline', async () => {
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
    await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR ?? dir, 'notes-offline.png') })
    expect(errors).toEqual([])
    await context.close()
  }, 180_000)
})
