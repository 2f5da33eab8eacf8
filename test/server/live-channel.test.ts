import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createReplicaHandler, createReplicaWriter, type Authorize } from '../../src/server/index.js'
import { BACKENDS, openBackend, type Backend } from './backends.js'
import { get, pullUrl } from './helpers.js'
import { openChannel } from '../fixtures/sse.js'

// The live channel of one server: who may open it, what it says, and to whom.
const SETUP = [
  'CREATE TABLE $S.notes (id BIGINT PRIMARY KEY, project_id INT4 NOT NULL, body TEXT NOT NULL)',
  'CREATE TABLE $S.secrets (id BIGINT PRIMARY KEY, project_id INT4 NOT NULL)',
]
const collections = {
  note: { table: 'notes', filterable: ['project_id'] },
  secret: { table: 'secrets', filterable: ['project_id'] },
}
/** `Bearer project-N` reads project N; nobody reads secrets. */
const authorize: Authorize = (req, { collection }) => {
  const m = /^Bearer project-([0-9]+)$/.exec(req.headers.get('authorization') ?? '')
  if (!m) return null
  return collection === 'secret' ? false : { project_id: Number(m[1]) }
}
const as = (project: number) => ({ authorization: `Bearer project-${project}` })

describe.each(BACKENDS)('the live channel over %s', (name) => {
  let db: Backend
  let base: string
  let nextId = 1
  const insert = (project: number) => db.sql('INSERT INTO $S.notes (id, project_id, body) VALUES (?, ?, ?)', [nextId++, project, 'x'])
  beforeAll(async () => {
    db = await openBackend(name, SETUP)
    base = (await db.serve({ collections, authorize, basePath: '/replica', live: { maxConnections: 4, heartbeatMs: 200 } })).base
  })
  afterAll(() => db.close())

  it('refuses what a pull would refuse, with a 4xx and a JSON error, before any stream', async () => {
    const live = (q: string, headers: Record<string, string> = as(1), init: RequestInit = {}) => get(`${base}/replica/live${q}`, { ...init, headers })
    expect((await live('?collection=note', {})).status).toBe(401)
    expect((await live('?collection=note', { authorization: 'Bearer nobody' })).status).toBe(401)
    expect((await live('?collection=note&collection=secret')).status).toBe(403)
    const unknown = await live('?collection=nope')
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'unknown_collection'])
    expect((await live('')).status).toBe(400)
    expect((await live('?collection=')).status).toBe(400)
    expect((await live('?collection=note&filter={}')).body.error.code).toBe('bad_request')
    expect((await live(`?${Array.from({ length: 65 }, (_, i) => `collection=c${i}`).join('&')}`)).status).toBe(400)
    const post = await live('?collection=note', as(1), { method: 'POST' })
    expect([post.status, post.contentType]).toEqual([405, 'application/json; charset=utf-8'])
  })

  it('pokes a caller about writes in its scope, with the values it may see, and never about another scope', async () => {
    const one = await openChannel(`${base}/replica/live?collection=note`, as(1))
    const two = await openChannel(`${base}/replica/live?collection=note`, as(2))
    expect([one.status, one.contentType]).toEqual([200, 'text/event-stream; charset=utf-8'])
    await one.waitFor((e) => e.event === 'ready')
    await two.waitFor((e) => e.event === 'ready')
    await insert(2)
    const toTwo = await two.waitFor((e) => e.event === 'poke')
    expect(toTwo.data.collections).toEqual(['note'])
    await insert(1)
    const toOne = await one.waitFor((e) => e.event === 'poke')
    expect(toOne.data.collections).toEqual(['note'])
    if (name === 'postgres') {
      // PostgreSQL's trigger says which rows changed: each caller hears only of its own scope.
      expect(toTwo.data.where).toEqual({ note: { project_id: [2] } })
      expect(toOne.data.where).toEqual({ note: { project_id: [1] } })
      for (const poke of one.events.filter((e) => e.event === 'poke')) expect(poke.data.where.note.project_id).toEqual([1])
      expect(one.text()).not.toContain('"project_id":[2]')
      // A row moving from project 1 to 2: project 1 hears of it (a tombstone to pull), without the new value.
      const id = nextId - 1
      const before = one.events.length
      await db.sql('UPDATE $S.notes SET project_id = 2 WHERE id = ?', [id])
      const moved = await one.waitFor((e) => e.event === 'poke' && one.events.indexOf(e) >= before)
      expect(moved.data.where).toEqual({ note: { project_id: [1] } })
    }
    // A heartbeat keeps the connection alive.
    await new Promise((resolve) => setTimeout(resolve, 450))
    expect(one.text()).toContain(': heartbeat')
    // Pokes carry names and values, never a row.
    expect(one.text()).not.toContain('"body"')
    one.close()
    two.close()
  })

  it('pokes for writes through the write helper, and says nothing about collections not asked for', async () => {
    const channel = await openChannel(`${base}/replica/live?collection=note`, as(3))
    await channel.waitFor((e) => e.event === 'ready')
    const writer = createReplicaWriter({ source: db.source, collections })
    await writer.insert('note', { id: nextId++, project_id: 3, body: 'by the helper' })
    await channel.waitFor((e) => e.event === 'poke' && e.data.collections.includes('note'))
    await db.sql('INSERT INTO $S.secrets (id, project_id) VALUES (?, ?)', [nextId++, 3])
    await insert(3)
    await channel.waitFor((e) => e.event === 'poke' && channel.events.filter((x) => x.event === 'poke').length >= 2)
    for (const poke of channel.events.filter((e) => e.event === 'poke')) expect(poke.data.collections).toEqual(['note'])
    channel.close()
  })

  it('streams through the Fetch API face too, and handler.close() ends the stream', async () => {
    const handler = createReplicaHandler({ source: db.source, collections, authorize, basePath: '/replica', cursorSecret: 'another-secret-0123456789' })
    const response = await handler.fetch(new Request('http://x/replica/live?collection=note', { headers: as(1) }))
    expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8'])
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    expect((await reader.read()).value).toBe('event: ready\ndata: {"collections":["note"]}\n\n')
    await handler.close()
    expect((await reader.read()).done).toBe(true)
    const refused = await handler.fetch(new Request('http://x/replica/live?collection=secret', { headers: as(1) }))
    expect(refused.status).toBe(403)
  })

  it('warns at start on PostgreSQL without a shared cursorSecret (another instance would refuse its cursors)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      createReplicaHandler({ source: db.source, collections, authorize })
      createReplicaHandler({ source: db.source, collections, authorize, cursorSecret: 'shared-secret-0123456789' })
      expect(warn.mock.calls.length).toBe(name === 'postgres' ? 1 : 0)
      if (name === 'postgres') expect(String(warn.mock.calls[0]![0])).toContain('cursorSecret')
    } finally {
      warn.mockRestore()
    }
  })

  it('is bounded: beyond maxConnections a 503 with Retry-After; closing the server ends the streams', async () => {
    const open = await Promise.all([1, 2, 3, 4].map((p) => openChannel(`${base}/replica/live?collection=note`, as(p))))
    await Promise.all(open.map((c) => c.waitFor((e) => e.event === 'ready')))
    const refused = await fetch(`${base}/replica/live?collection=note`, { headers: as(5) })
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('5')
    await refused.text()
    open[0]!.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const again = await openChannel(`${base}/replica/live?collection=note`, as(5))
    expect(again.status).toBe(200)
    for (const c of [...open.slice(1), again]) c.close()
  })

  it('caches a page fully in the past (private, with an ETag), never the last page', async () => {
    for (let i = 0; i < 3; i++) await insert(9)
    await db.settle()
    const first = await fetch(pullUrl(`${base}/replica`, { collection: 'note', limit: 2 }), { headers: as(9) })
    const body = await first.json()
    expect(body.hasMore).toBe(true)
    expect(first.headers.get('cache-control')).toBe('private, max-age=300')
    expect(first.headers.get('vary')).toBe('authorization, cookie')
    const etag = first.headers.get('etag')!
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/)
    const revalidated = await fetch(pullUrl(`${base}/replica`, { collection: 'note', limit: 2 }), { headers: { ...as(9), 'if-none-match': etag } })
    expect(revalidated.status).toBe(304)
    expect(await revalidated.text()).toBe('')
    // Another caller's page under the same URL is another body, so another tag: no 304 for it.
    const other = await fetch(pullUrl(`${base}/replica`, { collection: 'note', limit: 2 }), { headers: { ...as(1), 'if-none-match': etag } })
    expect(other.status).toBe(200)
    await other.text()
    const last = await fetch(pullUrl(`${base}/replica`, { collection: 'note', limit: 2, cursor: body.cursor }), { headers: as(9) })
    expect((await last.json()).hasMore).toBe(false)
    expect(last.headers.get('cache-control')).toBe('no-store')
    expect(last.headers.get('etag')).toBeNull()
  })
})
