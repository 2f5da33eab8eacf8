import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNotesApp } from './appServer'
import { freePort, npmStart } from './e2eHarness'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const dir = mkdtempSync(path.join(tmpdir(), 'replica-notes-server-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs `npm start` to its end: exit code and what it printed on each stream. */
function npmStartToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['start', '--silent'], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += String(chunk)))
    child.stderr.on('data', (chunk) => (stderr += String(chunk)))
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('npm start, when it cannot start', () => {
  let taken: Server
  beforeAll(async () => {
    taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  })
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())))

  it('says in one line, without a stack, that the port is in use, and exits with 1', async () => {
    const port = (taken.address() as { port: number }).port
    const run = await npmStartToExit({ PORT: String(port), REPLICA_DB: path.join(dir, 'port.db') })
    expect(run.code).toBe(1)
    expect(run.stderr.trim()).toBe(`Port ${port} is already in use (another npm start?). Stop that process, or pick another port: PORT=${port + 1} npm start`)
  }, 180_000)

  it('says in one line which database path cannot be opened, and exits with 1', async () => {
    const aFile = path.join(dir, 'a-file')
    writeFileSync(aFile, 'not a directory')
    const file = path.join(aFile, 'notes.db')
    const run = await npmStartToExit({ PORT: String(await freePort()), REPLICA_DB: file })
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split('\n')).toEqual([`Cannot open the database ${file}: a part of its path is a file, not a directory. Give another path: REPLICA_DB=./data/notes.db npm start`])
  }, 180_000)
})

describe('npm start, when it starts', () => {
  it('listens on 127.0.0.1 by default, and says where; it says it created and seeded the database the first time only', async () => {
    const file = path.join(dir, 'first.db')
    const port = await freePort()
    const first = await npmStart({ port, file })
    await first.kill()
    expect(first.output()).toContain(`Created and seeded ${file} (1 project, 1000 contacts, 10000 notes).`)
    expect(first.output()).toContain(`The notes app is on http://127.0.0.1:${port}`)
    const again = await npmStart({ port, file })
    await again.kill()
    expect(again.output()).not.toContain('Created and seeded')
  }, 180_000)
})

describe("the notes app's server", () => {
  let app: Awaited<ReturnType<typeof startNotesApp>>
  beforeAll(async () => {
    app = await startNotesApp({ file: path.join(dir, 'served.db'), port: 0, log: () => {} })
  }, 180_000)
  afterAll(() => app?.close())
  const get = (target: string, headers: Record<string, string> = {}) => fetch(`${app.url}${target}`, { headers })

  it('never serves the database: Vite-style /@fs paths, traversals and encoded traversals are 404', async () => {
    for (const target of [`/@fs${path.resolve(app.file)}`, `/@fs${repo}/data/replica-example.db`, '/../data/replica-example.db', '/%2e%2e/%2e%2e/served.db', `/${path.basename(app.file)}`, '/assets/../../served.db']) {
      const response = await get(target)
      expect(response.status, target).toBe(404)
      expect(await response.text(), target).toBe('Not found\n')
    }
  })

  it('answers unknown replica paths with a 404 in JSON, not the page', async () => {
    for (const target of ['/replica/nope', '/replica', '/replica/pull/extra']) {
      const response = await get(target)
      expect(response.status, target).toBe(404)
      expect(response.headers.get('content-type'), target).toMatch(/^application\/json/)
      expect((await response.json()) as object, target).toEqual({ error: { code: 'not_found', message: 'no such endpoint' } })
    }
  })

  it('compresses JSON for clients that accept it (brotli first, then gzip), to the same content', async () => {
    const target = '/replica/pull?collection=note&limit=250'
    const plain = await get(target, { 'accept-encoding': 'identity' })
    expect(plain.headers.get('content-encoding')).toBeNull()
    const body = Buffer.from(await plain.arrayBuffer())
    // node's fetch decodes on its own: ask node:http for the bytes as sent.
    const raw = async (encoding: string) => {
      const { request } = await import('node:http')
      return new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
        request(`${app.url}${target}`, { headers: { 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }))
        }).on('error', reject).end()
      })
    }
    const br = await raw('gzip, deflate, br')
    expect(br.encoding).toBe('br')
    expect(brotliDecompressSync(br.bytes).equals(body)).toBe(true)
    expect(br.bytes.length * 4).toBeLessThan(body.length)
    const gzip = await raw('gzip')
    expect(gzip.encoding).toBe('gzip')
    expect(gunzipSync(gzip.bytes).equals(body)).toBe(true)
  })

  it('serves the built page for app paths, a favicon, and a service worker that is always revalidated', async () => {
    for (const target of ['/', '/notes/42']) {
      const page = await get(target)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const html = await page.text()
      expect(html).toContain('<link rel="icon" href="/favicon.svg"')
      expect(html).not.toContain('/@vite/client')
      expect(html).toMatch(/src="\/assets\/index-[\w-]+\.js"/)
    }
    const icon = await get('/favicon.svg')
    expect(icon.headers.get('content-type')).toBe('image/svg+xml')
    const worker = await get('/sw.js')
    expect(worker.headers.get('cache-control')).toBe('no-cache')
    expect(await worker.text()).toContain("url.pathname.startsWith('/replica/')")
    const script = /src="(\/assets\/index-[\w-]+\.js)"/.exec(await (await get('/')).text())![1]!
    expect((await get(script)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
  })
})
