import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contextAt, flushReplica, freePort, launchChromium, npmStart, screenshot, seriousAccessibilityProblems, text, upToDate, WIDTHS } from './e2eHarness'
import type { NpmStart } from './e2eHarness'
import { MAX_NOTE_LENGTH } from '../server/main'

// The notes app as a person uses it: the real `npm start`, killed and started again, in Chromium
// at a laptop's width and a phone's.
let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
}, 60_000)
afterAll(() => browser?.close())

/** Records every value the notes progress bar shows, from the first paint on. */
function recordProgress() {
  const seen: Array<{ now: number; max: number }> = []
  Object.assign(window, { progressSeen: seen })
  new MutationObserver(() => {
    const bar = document.querySelector('[data-testid="progress-notes"]')
    const now = bar?.getAttribute('aria-valuenow')
    if (!bar || now === null || now === undefined) return
    if (seen.at(-1)?.now !== Number(now)) seen.push({ now: Number(now), max: Number(bar.getAttribute('aria-valuemax')) })
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] })
}

/** Whether the page is wider than the window (something cut off or needing a sideways scroll). */
const overflowsSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)

const badge = (page: Page, state: string, timeout = 20_000) => page.getByTestId('connection').filter({ hasText: state }).waitFor({ timeout })
const row = (page: Page, body: string | RegExp) => page.locator('.note-row').filter({ hasText: body })

/** Opens the note whose text matches, through the search box. */
async function openNote(page: Page, body: string) {
  await page.getByLabel('Search notes').fill(body)
  await row(page, body).first().click()
  await page.getByLabel('Text').waitFor()
}

describe.each(WIDTHS)('the notes app at $viewport.width px ($name)', (width) => {
  let dir: string
  let server: NpmStart | undefined
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), `replica-notes-${width.name}-`))
  })
  afterAll(async () => {
    await server?.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  it('syncs with a rising progress bar; reloads with the server killed; takes a new note, an edit and a delete offline; sends them after a restart', async () => {
    const file = path.join(dir, 'notes.db')
    const port = await freePort()
    server = await npmStart({ port, file })
    expect(server.output()).toContain(`Created and seeded ${file}`)
    const context = await contextAt(browser, width)
    await context.addInitScript(recordProgress)
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))

    // First visit: 10,000 notes arrive, the bar counting them against the server's total.
    await page.goto(server.url)
    await upToDate(page)
    expect(await text(page, 'counts')).toBe('10,000 notes · 1,000 contacts')
    const progress = await page.evaluate(() => (window as unknown as { progressSeen: Array<{ now: number; max: number }> }).progressSeen)
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress.map((p) => p.max)).toEqual(progress.map(() => 10_000))
    expect(progress.map((p) => p.now)).toEqual(progress.map((p) => p.now).sort((a, b) => a - b))
    expect(progress.at(-1)!.now).toBeGreaterThan(progress[0]!.now)
    await badge(page, 'Online')

    // The database file is never served, whatever the path says.
    for (const probe of [`/@fs${file}`, `/@fs${path.resolve('data/replica-example.db')}`, '/../data/replica-example.db', '/%2e%2e/data/replica-example.db']) {
      expect((await page.request.get(`${server.url}${probe}`)).status(), probe).toBe(404)
    }

    // The app shell is kept by the service worker; the rows are in IndexedDB.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })
    await flushReplica(page)
    expect(await seriousAccessibilityProblems(page)).toEqual([])
    await screenshot(page, `notes-${width.name}`, dir)
    expect(await overflowsSideways(page)).toBe(false)

    // The projects: a sidebar on a laptop; on a phone, a menu the top bar opens and a choice closes.
    const projects = page.getByRole('navigation', { name: 'Projects' })
    if (width.name === 'phone') {
      expect(await projects.isVisible()).toBe(false)
      await page.getByRole('button', { name: 'Projects', exact: true }).click()
      await projects.waitFor()
      expect(await seriousAccessibilityProblems(page)).toEqual([])
      await screenshot(page, `projects-${width.name}`, dir)
      await projects.getByRole('button', { name: 'Project 1' }).click()
      await projects.waitFor({ state: 'hidden' })
    } else {
      expect(await projects.isVisible()).toBe(true)
    }

    // The browser says the network went: offline at once; back when it returns.
    await context.setOffline(true)
    await badge(page, 'Offline', 10_000)
    await context.setOffline(false)
    await badge(page, 'Online')

    // The note view, read and accessible.
    await openNote(page, 'Note 9999:')
    expect(await page.getByLabel('Text').inputValue()).toMatch(/^Note 9999: /)
    expect(await overflowsSideways(page)).toBe(false)
    expect(await seriousAccessibilityProblems(page)).toEqual([])
    await screenshot(page, `note-${width.name}`, dir)
    await page.getByRole('button', { name: 'All notes', exact: true }).click()

    // The server process dies: the open page notices without a reload…
    await server.kill()
    await badge(page, 'Offline')
    // …and a reload opens the app from the kept shell, with every note.
    await page.reload()
    await page.getByTestId('counts').filter({ hasText: '10,000 notes · 1,000 contacts' }).waitFor({ timeout: 30_000 })
    await badge(page, 'Offline')
    await page.getByTestId('sync-status').filter({ hasText: 'Offline: showing the notes saved on this device.' }).waitFor()

    // Offline: a new note, an edit and a delete, each shown at once and marked as not sent.
    await page.getByLabel('New note').fill('written on a train')
    await page.getByRole('button', { name: 'Add', exact: true }).click()
    await row(page, 'written on a train').getByText('Not sent yet').waitFor({ timeout: 10_000 })
    await openNote(page, 'Note 9999:')
    await page.getByLabel('Text').fill('Note 9999: changed on the train')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByRole('button', { name: 'All notes', exact: true }).click()
    await openNote(page, 'Note 9998:')
    await page.getByRole('button', { name: 'Delete', exact: true }).click()
    await page.getByRole('button', { name: 'Yes, delete', exact: true }).click()
    await page.getByLabel('Search notes').fill('')
    await row(page, 'Note 9999: changed on the train').getByText('Not sent yet').waitFor({ timeout: 10_000 })
    expect(await row(page, 'Note 9998:').count()).toBe(0)
    expect(await text(page, 'counts')).toBe('10,000 notes · 1,000 contacts')
    await page.getByTestId('sync-status').filter({ hasText: '3 changes will be sent when the server is back' }).waitFor({ timeout: 10_000 })
    expect(await seriousAccessibilityProblems(page)).toEqual([])
    await screenshot(page, `offline-${width.name}`, dir)

    // Still offline, a reload keeps all three.
    await page.reload()
    await page.getByTestId('sync-status').filter({ hasText: '3 changes will be sent when the server is back' }).waitFor({ timeout: 30_000 })
    await row(page, 'written on a train').getByText('Not sent yet').waitFor({ timeout: 10_000 })

    // The server comes back; the person clicks into the window: the changes go, once each.
    server = await npmStart({ port, file })
    expect(server.output()).not.toContain('Created and seeded')
    await page.evaluate(() => {
      window.dispatchEvent(new Event('blur'))
      window.dispatchEvent(new Event('focus'))
    })
    await upToDate(page, 60_000)
    await badge(page, 'Online')
    await row(page, 'written on a train').getByText('Saved').waitFor({ timeout: 10_000 })

    // A rule only the server knows (notes of at most MAX_NOTE_LENGTH characters): the edit is
    // refused, and the note says so and why.
    await openNote(page, 'Note 9997:')
    await page.getByLabel('Text').fill('x'.repeat(MAX_NOTE_LENGTH + 1))
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.locator('.note-view').getByText('Rejected: the database refused this write').waitFor({ timeout: 30_000 })
    await screenshot(page, `rejected-${width.name}`, dir)

    const db = new Database(file, { readonly: true })
    try {
      expect(db.prepare('SELECT count(*) FROM notes WHERE body = ? AND _deleted = 0').pluck().get('written on a train')).toBe(1)
      expect(db.prepare('SELECT body FROM notes WHERE id = 9999').pluck().get()).toBe('Note 9999: changed on the train')
      expect(db.prepare('SELECT count(*) FROM notes WHERE id = 9998 AND _deleted = 0').pluck().get()).toBe(0)
      expect(db.prepare('SELECT body FROM notes WHERE id = 9997').pluck().get()).toMatch(/^Note 9997: /)
    } finally {
      db.close()
    }
    expect(errors).toEqual([])
    await context.close()
  }, 300_000)
})
