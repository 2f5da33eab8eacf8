import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleServer } from '../../examples/server/main.js'
import { get, pullAll, tempDir } from './helpers.js'

// The runnable main job (`npm start`), started on port 0 over a fresh file: it seeds the 2015
// example data once and serves both protocols.
const tmp = tempDir()
let server: Awaited<ReturnType<typeof startExampleServer>>

beforeAll(async () => {
  server = await startExampleServer({ file: tmp.file('example.db'), port: 0 })
})
afterAll(async () => {
  await server?.close()
  tmp.remove()
})

describe('example server', () => {
  it('seeds 1 project, 1,000 contacts and 10,000 notes on first run', () => {
    expect(server.seeded).toEqual({ projects: 1, contacts: 1000, notes: 10_000 })
  })

  it('serves our protocol under /replica', async () => {
    const { rows } = await pullAll(`${server.url}/replica`, 'note', { project_id: 1 }, 1000)
    expect(rows).toHaveLength(10_000)
    const first = await get(`${server.url}/replica/pull?collection=contact`)
    expect(first.body.remaining).toBe(750)
  })

  it('serves both 2015 endpoints', async () => {
    const blog = await get(`${server.url}/offline/download_updated?scope=${encodeURIComponent('{"collection":"note","filter":{"project_id":1}}')}`)
    expect(blog.body).toHaveLength(250)
    const repo = await get(`${server.url}/replicated_db/download_updates?scope=${encodeURIComponent('{"collectionName":"note"}')}`)
    expect(repo.body.availableUpdatesCount).toBe(10_000)
    expect(repo.body.data).toHaveLength(1000)
  })

  it('keeps its data and cursor secret across restarts', async () => {
    const a = await get(`${server.url}/replica/pull?collection=note&limit=10`)
    await server.close()
    server = await startExampleServer({ file: tmp.file('example.db'), port: 0 })
    expect(server.seeded).toEqual({ projects: 0, contacts: 0, notes: 0 })
    const b = await get(`${server.url}/replica/pull?collection=note&limit=10&cursor=${a.body.cursor}`)
    expect(b.status).toBe(200)
    expect(b.body.rows[0].id).toBe(11)
  })

  it('takes notes from its own pages only, as JSON; projects and contacts are read-only', async () => {
    const push = (mutations: unknown[], headers: Record<string, string>) =>
      get(`${server.url}/replica/push`, { method: 'POST', headers, body: JSON.stringify({ mutations }) })
    const json = { 'content-type': 'application/json' }
    const deleteNote1 = { id: 'del-1', collection: 'note', op: 'delete', key: 1, baseVersion: null }
    // What a page of any site can send without asking the browser: refused before anything else.
    expect((await push([deleteNote1], { 'content-type': 'text/plain' })).status).toBe(415)
    expect((await push([deleteNote1], { ...json, origin: 'https://evil.example' })).status).toBe(403)
    const note1 = (await get(`${server.url}/replica/pull?collection=note&limit=1`)).body.rows[0]
    expect(note1).toMatchObject({ id: 1 })
    // The app's own page (same origin) writes notes.
    const own = { ...json, origin: server.url }
    const [written] = (await push([{ id: 'w-1', collection: 'note', op: 'upsert', key: 1, row: { ...note1, _version: undefined, body: 'edited' }, baseVersion: note1._version }], own)).body.results
    expect(written).toMatchObject({ status: 'applied', row: { id: 1, body: 'edited' } })
    const [project] = (await push([{ id: 'p-1', collection: 'project', op: 'delete', key: 1, baseVersion: null }], own)).body.results
    expect(project).toMatchObject({ status: 'rejected', error: { code: 'forbidden' } })
  })
})
