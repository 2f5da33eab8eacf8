import { rmSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { findChromium } from '../../test/services/chromium'
import type { BenchArgs } from '../lib/args'
import { medianFields } from '../lib/medianOf'
import { emit, fmt, table } from '../lib/output'
import type { Figure } from '../lib/output'
import { round } from '../lib/stats'
import { startServer } from '../e2e/serverProcess'
import { buildPage } from './build'
import { BROWSER_FLOOR, BROWSER_IDB, BROWSER_MEMORY } from './contenders'
import { PAGE_BASE } from './servePage'
import type { BrowserFloorResult, BrowserHydrateResult, BrowserLiveResult, BrowserSyncResult } from './page/main'

/** Largest size the browser part runs (its targets are at 100k; 10^6 rows would take minutes a run). */
const MAX_ROWS = 100_000
const LIVE_SAMPLES = 5

type Results = Record<string, number>

/**
 * `--browser`: the sync in headless Chromium (CHROMIUM_PATH, Debian's /usr/bin/chromium, or the
 * build inside `@sparticuz/chromium`), a production build of the page, against the reference
 * server over loopback. Per round, each in a fresh browser context (empty storage): the in-browser
 * floor; redux-replica into indexedDbPersistence, then live changes, then a reload and hydration;
 * redux-replica into memoryPersistence. Medians of `--runs` rounds.
 */
export async function runBrowser(args: BenchArgs): Promise<Figure[]> {
  const sizes = args.sizes.filter((n) => n <= MAX_ROWS)
  if (sizes.length === 0) return []
  const pageDir = await buildPage()
  const { executablePath, args: flags, env, bundled } = await findChromium()
  const browser = await chromium.launch({ executablePath, args: flags, env: { ...process.env, ...env } })
  console.log(`\nbrowser: ${bundled ? 'the @sparticuz/chromium build' : executablePath} ${browser.version()}, page built in ${pageDir}`)
  const figures: Figure[] = []
  const rows: (string | number)[][] = []
  try {
    for (const n of sizes) {
      const server = await startServer(n, { pageDir })
      const url = `${server.url}${PAGE_BASE}index.html`
      try {
        const rounds = { floor: [] as Results[], idb: [] as Results[], live: [] as Results[], hydrate: [] as Results[], memory: [] as Results[] }
        for (let round = 0; round < args.runs; round++) {
          rounds.floor.push(await inFreshPage(browser, url, (page) => page.evaluate(() => window.bench.floor()) as Promise<BrowserFloorResult & Results>))
          await inFreshPage(browser, url, async (page) => {
            rounds.idb.push((await page.evaluate(() => window.bench.sync('indexeddb'))) as BrowserSyncResult & Results)
            rounds.live.push((await page.evaluate((samples) => window.bench.live(samples), LIVE_SAMPLES)) as BrowserLiveResult & Results)
            await page.reload()
            rounds.hydrate.push((await page.evaluate(() => window.bench.hydrate())) as BrowserHydrateResult & Results)
          })
          rounds.memory.push(await inFreshPage(browser, url, (page) => page.evaluate(() => window.bench.sync('memory')) as Promise<BrowserSyncResult & Results>))
        }
        const floor = medianFields(rounds.floor)
        const idb = medianFields(rounds.idb)
        const live = medianFields(rounds.live)
        const hydrate = medianFields(rounds.hydrate)
        const memory = medianFields(rounds.memory)
        const ratio = (ms: number) => round(ms / (floor.ms as number))
        const base = { n, rows_per_s: null, heap_mb: null, runs: args.runs }
        const out: Figure[] = [
          { bench: 'browser-sync', contender: BROWSER_FLOOR, ...base, ms: round(floor.ms as number), ratio_to_floor: 1 },
          { bench: 'browser-sync', contender: BROWSER_IDB, ...base, ms: round(idb.ms as number), ratio_to_floor: ratio(idb.ms as number), longest_task_ms: round(idb.longestTaskMs as number), long_tasks: idb.longTasks },
          { bench: 'browser-sync', contender: BROWSER_MEMORY, ...base, ms: round(memory.ms as number), ratio_to_floor: ratio(memory.ms as number), longest_task_ms: round(memory.longestTaskMs as number), long_tasks: memory.longTasks },
          { bench: 'browser-live', contender: BROWSER_IDB, ...base, ms: round(live.endToEndMs as number, 3), ratio_to_floor: null, saved_ms: round(live.savedMs as number), longest_task_ms: round(live.longestTaskMs as number), long_tasks: live.longTasks, samples: LIVE_SAMPLES },
          { bench: 'browser-hydration', contender: BROWSER_IDB, ...base, ms: round(hydrate.ms as number), ratio_to_floor: null, longest_task_ms: round(hydrate.longestTaskMs as number), long_tasks: hydrate.longTasks },
        ]
        for (const figure of out) emit(figure)
        figures.push(...out)
        const task = (ms: unknown) => ((ms as number) === 0 ? '< 50' : fmt(ms as number, 0))
        rows.push([n.toLocaleString('en-US'), fmt(floor.ms as number), fmt(idb.ms as number), `${fmt(idb.ms as number / (floor.ms as number), 2)}x`, task(idb.longestTaskMs),
          fmt(memory.ms as number), `${fmt(memory.ms as number / (floor.ms as number), 2)}x`, task(memory.longestTaskMs),
          fmt(live.endToEndMs as number, 1), fmt(live.savedMs as number, 1), task(live.longestTaskMs), fmt(hydrate.ms as number), task(hydrate.longestTaskMs)])
      } finally {
        await server.stop()
      }
    }
  } finally {
    await browser.close()
    rmSync(pageDir, { recursive: true, force: true })
  }
  console.log(table(`Browser: headless Chromium, production build, reference server on loopback (median of ${args.runs} rounds; longest task: PerformanceObserver 'longtask', which reports tasks of 50 ms or more)`,
    ['rows', 'floor ms', 'IndexedDB ms', 'vs floor', 'longest task ms', 'memory ms', 'vs floor', 'longest task ms', 'live: in Redux ms', 'live: saved ms', 'live: longest task ms', 'hydration ms', 'hydration: longest task ms'], rows))
  return figures
}

/** Runs `use` on a new page in a new browser context (its own empty storage), then closes both. */
async function inFreshPage<R>(browser: Browser, url: string, use: (page: Page) => Promise<R>): Promise<R> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    page.on('pageerror', (error) => console.error(`browser page error: ${error.message}`))
    await page.goto(url)
    await page.waitForFunction(() => typeof window.bench === 'object')
    return await use(page)
  } finally {
    await context.close()
  }
}
