import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, inject } from 'vitest'
import { startNotesApp } from './appServer'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The two widths every browser test runs at: a laptop, and a phone held upright. */
export const WIDTHS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
] as const

/** The run's Chromium (CHROMIUM_PATH, Debian's /usr/bin/chromium, or `@sparticuz/chromium`: test/services/chromium.ts). */
export function launchChromium(): Promise<Browser> {
  const { executablePath, args, env } = inject('chromium')
  return chromium.launch({ executablePath, args, env: { ...process.env, ...env } })
}

/**
 * For an end-to-end test file: the notes app in this process on a fresh SQLite file, and the
 * run's Chromium, started before the tests and stopped after them.
 */
export function useNotesAppInChromium(label: string) {
  const env = {} as { app: Awaited<ReturnType<typeof startNotesApp>>; browser: Browser; dir: string }
  beforeAll(async () => {
    env.dir = mkdtempSync(path.join(tmpdir(), `replica-${label}-`))
    env.app = await startNotesApp({ file: path.join(env.dir, 'server.db'), port: 0, log: () => {} })
    env.browser = await launchChromium()
  }, 180_000)
  afterAll(async () => {
    await env.browser?.close()
    await env.app?.close()
    rmSync(env.dir, { recursive: true, force: true })
  })
  return env
}

/** `npm start` as a person runs it, in a process group of its own so that it can be killed whole. */
export interface NpmStart {
  url: string
  /** Everything it printed. */
  output: () => string
  /** SIGKILL to the whole group (npm, its shell, tsx, node): the server is gone at once. */
  kill(): Promise<void>
}

/**
 * Runs `npm start` on `port` over `file` and resolves once it prints its URL.
 *
 * @example const server = await npmStart({ port: await freePort(), file: '/tmp/x/notes.db' })
 */
export function npmStart(options: { port: number; file: string; extraEnv?: Record<string, string> }): Promise<NpmStart> {
  const child = spawn('npm', ['start'], {
    cwd: repo,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(options.port), REPLICA_DB: options.file, ...options.extraEnv },
  })
  let output = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL')
    await exited
  }
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += String(chunk)
      const url = /The notes app is on (http:\/\/\S+)/.exec(output)?.[1]
      if (url) resolve({ url, output: () => output, kill })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before serving:\n${output}`)))
  })
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** axe-core's serious and critical findings on the page as it is now: rule, impact and where. */
export async function seriousAccessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    type Result = { id: string; impact?: string | null; nodes: Array<{ target: unknown[] }> }
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: Result[] }> } }).axe
    const { violations } = await axe.run(document)
    return violations.map((v) => ({ id: v.id, impact: v.impact ?? '', targets: v.nodes.map((n) => JSON.stringify(n.target)) }))
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.targets.join(', ')}`)
}

/**
 * A screenshot into SCREENSHOT_DIR (the README's are made with `npm run screenshots`), else into
 * `fallbackDir`.
 */
export async function screenshot(page: Page, name: string, fallbackDir: string) {
  const dir = process.env.SCREENSHOT_DIR ? path.resolve(repo, process.env.SCREENSHOT_DIR) : fallbackDir
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: path.join(dir, `${name}.png`) })
}

/** Saves what the replica applied to IndexedDB now (it also saves on its own, coalesced). */
export const flushReplica = (page: Page) =>
  page.evaluate(() => (window as unknown as { replicaStore: { replica: { flush(): Promise<void> } } }).replicaStore.replica.flush())

/** Waits until the app says it is up to date: synced, and every change sent. */
export const upToDate = (page: Page, timeout = 90_000) => page.getByTestId('sync-status').filter({ hasText: 'Up to date' }).waitFor({ timeout })

/** The text of the element with this test id. */
export const text = (page: Page, id: string) => page.getByTestId(id).textContent()

/** A new browser context at one of the test widths. */
export const contextAt = (browser: Browser, width: (typeof WIDTHS)[number]): Promise<BrowserContext> => browser.newContext({ viewport: width.viewport })
