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
})
