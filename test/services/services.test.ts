import pg from 'pg'
import { chromium } from 'playwright-core'
import { describe, expect, inject, it } from 'vitest'
import { findChromium } from './chromium'
import { usePostgres } from './postgres'

// `npm test` on a machine with nothing but Node: each service helper falls back to a build
// shipped on npm when the system's is absent. Absence is simulated by pointing them at nothing.
describe('the services npm test needs', () => {
  it('uses the PostgreSQL at the given URL when it answers, and leaves it running', async () => {
    const url = inject('databaseUrl')
    const db = await usePostgres(url)
    expect(db).toMatchObject({ url, embedded: false })
    await db.stop()
    expect(await selectOne(url)).toBe(1)
  })

  it('starts an embedded PostgreSQL when nothing answers at the URL, and stops it after', async () => {
    const db = await usePostgres('postgres://postgres@127.0.0.1:1/test')
    expect(db.embedded).toBe(true)
    expect(db.url).not.toContain(':1/')
    expect(await selectOne(db.url)).toBe(1)
    await db.stop()
    await expect(selectOne(db.url)).rejects.toThrow()
  }, 120_000)

  it('uses a system Chromium when one is at the path', async () => {
    const found = await findChromium([process.execPath])
    expect(found).toMatchObject({ executablePath: process.execPath, bundled: false })
  })

  it('launches the Chromium inside @sparticuz/chromium when no system one is found', async () => {
    // A missing path, and what a hidden browser looks like: /dev/null mounted over /usr/bin/chromium.
    const found = await findChromium(['/nonexistent/chromium', '/dev/null'])
    expect(found.bundled).toBe(true)
    const browser = await chromium.launch({ executablePath: found.executablePath, args: found.args, env: { ...process.env, ...found.env } })
    try {
      const page = await browser.newPage()
      await page.setContent('<p id="p">rendered</p>')
      expect(await page.textContent('#p')).toBe('rendered')
    } finally {
      await browser.close()
    }
  }, 120_000)
})

async function selectOne(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one')
    return rows[0]!.one
  } finally {
    await client.end().catch(() => {})
  }
}
