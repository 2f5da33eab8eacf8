import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, inject } from 'vitest'
import { startNotesApp } from './main'

/**
 * For an end-to-end test file: the notes app on a fresh SQLite file, and the run's Chromium
 * (CHROMIUM_PATH, Debian's /usr/bin/chromium, or the build inside `@sparticuz/chromium`: see
 * test/services/chromium.ts), started before the tests and stopped after them.
 */
export function useNotesAppInChromium(label: string) {
  const env = {} as { app: Awaited<ReturnType<typeof startNotesApp>>; browser: Browser; dir: string }
  beforeAll(async () => {
    env.dir = mkdtempSync(path.join(tmpdir(), `replica-${label}-`))
    env.app = await startNotesApp({ file: path.join(env.dir, 'server.db'), port: 0 })
    const { executablePath, args, env: browserEnv } = inject('chromium')
    env.browser = await chromium.launch({ executablePath, args, env: { ...process.env, ...browserEnv } })
  }, 120_000)
  afterAll(async () => {
    await env.browser?.close()
    await env.app?.close()
    rmSync(env.dir, { recursive: true, force: true })
  })
  return env
}

/** The text of the element with this test id. */
export const text = (page: Page, id: string) => page.getByTestId(id).textContent()
