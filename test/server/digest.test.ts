import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createReplicaHandler,
  createReplicaWriter,
  exampleCollections,
  postgresSource,
  seedExampleData,
  seedExampleDataPostgres,
  sqliteSource,
  type Authorize,
  type ReplicaHandler,
  type ReplicaWriter,
  type Scope,
} from '../../src/server/index.js'
import { digestAccumulator, fnv1a32 } from '../../src/core/digestHash.js'
import { SECRET, applyRows, get, pgSchema, pgSettled, pullAll, serve, tempDir } from './helpers.js'

// GET <base>/digest: count + order-independent hash of what a client that applied the stream up
// to a cursor must hold. Checked against the digest of the rows actually pulled, on SQLite and
// PostgreSQL, and with hostile input.

/** Digest of rows as the client holds them (the live rows left after applying the stream). */
function clientDigest(held: Map<unknown, { id: number; _version: number }>) {
  const acc = digestAccumulator()
  for (const row of held.values()) acc.add(row.id, row._version)
  return acc.result()
}

/** The version a cursor stands at (its payload is readable; only the signature is secret). */
const cursorVersion = (cursor: string | null) => JSON.parse(Buffer.from(cursor!.split('.')[0]!, 'base64url').toString())[0] as number

const digestUrl = (base: string, q: { collection: string; filter?: unknown; cursor?: string | null }) => {
  const p = new URLSearchParams({ collection: q.collection })
  if (q.filter !== undefined) p.set('filter', JSON.stringify(q.filter))
  if (q.cursor) p.set('cursor', q.cursor)
  return `${base}/digest?${p}`
}

const authorize: Authorize = (req, { collection }) => {
  const token = req.headers.get('authorization')
  if (token !== 'Bearer p1') return token ? null : {}
  const scope: Scope = collection === 'project' ? { id: 1 } : { project_id: [1] }
  return scope
}

describe('the digest hash', () => {
  it('is FNV-1a 32 over UTF-8, summed mod 2^32', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5)
    expect(fnv1a32('a')).toBe(0xe40c292c)
    expect(fnv1a32('foobar')).toBe(0xbf9cf968)
    // Against a reference over TextEncoder's bytes, for 1-, 2-, 3- and 4-byte characters and a lone surrogate.
    const reference = (text: string) => {
      let h = 0x811c9dc5
      for (const b of new TextEncoder().encode(text)) h = Number((BigInt(h ^ b) * 0x01000193n) & 0xffffffffn) >>> 0
      return h
    }
    for (const text of ['1:41', 'é:3', 'ключ:7', '日本:9', '😀:12', 'a\ud800b:1', 'x\udc00']) expect(fnv1a32(text)).toBe(reference(text))
    const acc = digestAccumulator()
    acc.add(1, 41)
    acc.add('b', 42)
    expect(acc.result()).toEqual({ count: 2, hash: (fnv1a32('1:41') + fnv1a32('b:42')) % 2 ** 32 })
    const reversed = digestAccumulator()
    reversed.add('b', 42)
    reversed.add(1, 41)
    expect(reversed.result()).toEqual(acc.result())
  })
})

describe('GET /digest on SQLite', () => {
  const tmp = tempDir()
  let db: Database.Database
  let server: Awaited<ReturnType<typeof serve>>
  let replica: ReplicaHandler
  let writer: ReplicaWriter
  beforeAll(async () => {
    db = new Database(tmp.file('digest.db'))
    seedExampleData(db, { projects: 3, contacts: 30, notes: 3000 })
    const source = sqliteSource({ db })
    replica = createReplicaHandler({ source, collections: exampleCollections, authorize, cursorSecret: SECRET, onError: (e) => { throw e } })
    writer = createReplicaWriter({ source, collections: exampleCollections })
    server = await serve(replica)
  })
  afterAll(async () => {
    await server?.close()
    db?.close()
    tmp.remove()
  })

  /** The last version the server took. */
  const clock = () => db.prepare('SELECT v FROM _replica_clock WHERE id = 0').pluck().get() as number

  it('matches the rows a client holds after applying the stream, with deletes and move-outs in it', async () => {
    await writer.remove('note', 10)
    await writer.update('note', 13, { project_id: 2 })
    db.prepare('DELETE FROM notes WHERE id = 16').run()
    const filter = { project_id: 1 }
    const { rows, cursor } = await pullAll(server.base, 'note', filter, 500)
    const held = new Map()
    applyRows(held, rows)
    const a = await get(digestUrl(server.base, { collection: 'note', filter, cursor }))
    expect(a.status).toBe(200)
    expect(a.body).toEqual({ ...clientDigest(held), version: clock() })
    expect(a.body.count).toBe(db.prepare('SELECT count(*) FROM notes WHERE project_id = 1 AND _deleted = 0').pluck().get())
  })

  it('covers only what the stream delivered up to the cursor: later writes do not change it', async () => {
    const filter = { project_id: 2 }
    const { cursor } = await pullAll(server.base, 'note', filter, 1000)
    const before = (await get(digestUrl(server.base, { collection: 'note', filter, cursor }))).body
    await writer.update('note', 14, { body: 'later' })
    await writer.insert('note', { id: 90_001, project_id: 2, contact_id: 1, body: 'new', created_at: '2026-01-01T00:00:00.000000Z' })
    expect((await get(digestUrl(server.base, { collection: 'note', filter, cursor }))).body).toEqual({ ...before, count: before.count - 1, hash: expect.any(Number) })
    const { rows, cursor: next } = await pullAll(server.base, 'note', filter, 1000)
    const held = new Map()
    applyRows(held, rows)
    expect((await get(digestUrl(server.base, { collection: 'note', filter, cursor: next }))).body).toEqual({ ...clientDigest(held), version: clock() })
  })

  it('says how far it reaches: up to the first change of the scope after the cursor, else every version taken', async () => {
    const filter = { project_id: 2 }
    const { rows, cursor } = await pullAll(server.base, 'note', filter, 1000)
    const digest = async () => (await get(digestUrl(server.base, { collection: 'note', filter, cursor }))).body
    const held = new Map()
    applyRows(held, rows)
    // A quiet scope: nothing of it lies between the cursor and the last version taken.
    expect(await digest()).toEqual({ ...clientDigest(held), version: clock() })
    const elsewhere = db.prepare('SELECT id FROM notes WHERE project_id = 1 AND _deleted = 0 ORDER BY id LIMIT 1').pluck().get() as number
    // Writes elsewhere move the clock, and the digest reaches along: the scope is still quiet.
    await writer.update('note', elsewhere, { body: 'in project 1' })
    expect(await digest()).toEqual({ ...clientDigest(held), version: clock() })
    // A change of the scope after the cursor bounds it: the rows up to the change are not all covered.
    const changed = db.prepare('SELECT id FROM notes WHERE project_id = 2 AND _deleted = 0 ORDER BY id LIMIT 1').pluck().get() as number
    await writer.update('note', changed, { body: 'in project 2' })
    const bounded = clock() - 1
    await writer.update('note', elsewhere, { body: 'in project 1 again' })
    expect(await digest()).toEqual({ count: held.size - 1, hash: expect.any(Number), version: bounded })
    // A move-out of the scope (a log entry) bounds it too.
    const { cursor: next } = await pullAll(server.base, 'note', filter, 1000, cursor)
    const movedOut = db.prepare('SELECT id FROM notes WHERE project_id = 2 AND _deleted = 0 ORDER BY id LIMIT 1').pluck().get() as number
    await writer.update('note', movedOut, { project_id: 3 })
    expect((await get(digestUrl(server.base, { collection: 'note', filter, cursor: next }))).body.version).toBe(clock() - 1)
    // Never below the cursor's own version.
    expect((await get(digestUrl(server.base, { collection: 'note', filter, cursor: next }))).body.version).toBeGreaterThanOrEqual(cursorVersion(next))
  })

  it('sees a row deleted behind the stream\'s back (its log entry removed too)', async () => {
    const filter = { project_id: 3 }
    const { cursor } = await pullAll(server.base, 'note', filter, 1000)
    const before = (await get(digestUrl(server.base, { collection: 'note', filter, cursor }))).body
    const { id, _version } = db.prepare('SELECT id, _version FROM notes WHERE project_id = 3 AND _deleted = 0 LIMIT 1').get() as { id: number; _version: number }
    db.prepare('DELETE FROM notes WHERE id = ?').run(id)
    db.prepare('DELETE FROM notes__replica_log WHERE id = ?').run(id)
    // The stream cannot tell: nothing after the cursor.
    expect((await pullAll(server.base, 'note', filter, 1000, cursor)).rows).toEqual([])
    const after = (await get(digestUrl(server.base, { collection: 'note', filter, cursor }))).body
    expect(after).toEqual({ count: before.count - 1, hash: (before.hash - fnv1a32(`${id}:${_version}`) + 2 ** 32) % 2 ** 32, version: clock() })
  })

  it('applies the caller\'s scope: a scoped caller\'s digest counts only its rows', async () => {
    const { cursor } = await pullAll(server.base, 'note', {}, 1000, null, { headers: { authorization: 'Bearer p1' } })
    const scoped = await get(digestUrl(server.base, { collection: 'note', cursor }), { headers: { authorization: 'Bearer p1' } })
    const everything = await get(digestUrl(server.base, { collection: 'note', cursor }))
    expect(scoped.body.count).toBe(db.prepare('SELECT count(*) FROM notes WHERE project_id = 1 AND _deleted = 0').pluck().get())
    expect(everything.body.count).toBeGreaterThan(scoped.body.count)
    expect((await get(digestUrl(server.base, { collection: 'note', cursor }), { headers: { authorization: 'Bearer nobody' } })).status).toBe(401)
  })

  it('answers through the Fetch face too, and the node face passes other paths on', async () => {
    const { cursor } = await pullAll(server.base, 'contact', {}, 1000)
    const a = await replica.fetch(new Request(`http://x${digestUrl('', { collection: 'contact', cursor })}`))
    expect(a.status).toBe(200)
    expect(await a.json()).toEqual({ count: 30, hash: expect.any(Number), version: clock() })
  })

  describe('hostile input: the pull\'s classes, each a JSON 4xx', () => {
    const enc = encodeURIComponent
    let good = ''
    let contactCursor = ''
    beforeAll(async () => {
      good = (await get(`${server.base}/pull?collection=note&limit=5`)).body.cursor
      contactCursor = (await get(`${server.base}/pull?collection=contact&limit=5`)).body.cursor
    })
    const cases: Array<[string, () => string, number, string]> = [
      ['unknown collection', () => `/digest?collection=nope&cursor=${good}`, 404, 'unknown_collection'],
      ['collection __proto__', () => `/digest?collection=__proto__&cursor=${good}`, 404, 'unknown_collection'],
      ['missing collection', () => '/digest', 400, 'bad_request'],
      ['collection twice', () => `/digest?collection=note&collection=contact&cursor=${good}`, 400, 'bad_request'],
      ['unlisted filter field', () => `/digest?collection=note&cursor=${good}&filter=${enc('{"body":"x"}')}`, 403, 'filter_not_allowed'],
      ['__proto__ filter key', () => `/digest?collection=note&cursor=${good}&filter=${enc('{"__proto__":1}')}`, 403, 'filter_not_allowed'],
      ['SQL as a filter value', () => `/digest?collection=note&cursor=${good}&filter=${enc('{"project_id":"1 OR 1=1"}')}`, 400, 'bad_filter'],
      ['malformed JSON filter', () => `/digest?collection=note&cursor=${good}&filter=%7Bx`, 400, 'bad_request'],
      ['missing cursor', () => '/digest?collection=note', 400, 'bad_request'],
      ['garbage cursor', () => '/digest?collection=note&cursor=abc', 400, 'bad_cursor'],
      ['forged cursor', () => `/digest?collection=note&cursor=${Buffer.from('[99999999,1]').toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`, 400, 'bad_cursor'],
      ['cursor of another collection', () => `/digest?collection=note&cursor=${contactCursor}`, 400, 'bad_cursor'],
      ['SQL as a cursor', () => `/digest?collection=note&cursor=${enc("1' OR 1=1 --")}`, 400, 'bad_cursor'],
      ['cursor twice', () => `/digest?collection=note&cursor=${good}&cursor=${good}`, 400, 'bad_request'],
      ['oversized query', () => `/digest?collection=note&x=${'a'.repeat(40_000)}`, 414, 'too_large'],
    ]
    it.each(cases)('%s → %i %s', async (_name, path, status, code) => {
      const a = await get(server.base + path())
      expect(a.status).toBe(status)
      expect(a.contentType).toMatch(/^application\/json/)
      expect(a.body.error.code).toBe(code)
    })

    it('POST is refused', async () => {
      const a = await get(`${server.base}/digest?collection=note&cursor=${good}`, { method: 'POST', body: '{}' })
      expect(a.status).toBe(405)
      expect(a.body.error.code).toBe('bad_request')
    })
  })
})

describe('GET /digest on PostgreSQL', () => {
  let pgdb: Awaited<ReturnType<typeof pgSchema>>
  let server: Awaited<ReturnType<typeof serve>>
  beforeAll(async () => {
    pgdb = await pgSchema('replica_digest')
    await seedExampleDataPostgres(pgdb.pool, pgdb.schema, { projects: 2, contacts: 20, notes: 2000 })
    const source = postgresSource({ pool: pgdb.pool, schema: pgdb.schema })
    const replica = createReplicaHandler({ source, collections: exampleCollections, authorize, cursorSecret: SECRET })
    await replica.ready()
    const writer = createReplicaWriter({ source, collections: exampleCollections })
    await writer.remove('note', 2)
    await writer.update('note', 4, { project_id: 2 })
    await pgdb.pool.query(`DELETE FROM "${pgdb.schema}".notes WHERE id = 6`)
    server = await serve(replica)
  })
  afterAll(async () => {
    await server?.close()
    await pgdb?.drop()
  })

  it('matches the rows a client holds after applying the stream', async () => {
    for (const filter of [{ project_id: 1 }, {}]) {
      const { rows, cursor } = await pullAll(server.base, 'note', filter, 700)
      const held = new Map()
      applyRows(held, rows)
      const a = await get(digestUrl(server.base, { collection: 'note', filter, cursor }))
      expect(a.status).toBe(200)
      // Nothing of the scope after the cursor: it reaches up to the horizon, which is cluster-wide.
      expect(a.body).toEqual({ ...clientDigest(held), version: expect.any(Number) })
      expect(a.body.version).toBeGreaterThanOrEqual(cursorVersion(cursor))
    }
  })

  it('sees a row deleted behind the stream\'s back', async () => {
    const filter = { project_id: 2 }
    // The horizon is cluster-wide: wait until no transaction of another file holds the setup's
    // writes back, so the stream's cursor passes every row the test then deletes.
    await pgSettled(async (sql) => (await pgdb.pool.query(sql)).rows)
    const { cursor } = await pullAll(server.base, 'note', filter, 1000)
    const before = (await get(digestUrl(server.base, { collection: 'note', filter, cursor }))).body
    await pgdb.pool.query(`DELETE FROM "${pgdb.schema}".notes WHERE id = (SELECT min(id) FROM "${pgdb.schema}".notes WHERE project_id = 2 AND NOT _deleted)`)
    await pgdb.pool.query(`DELETE FROM "${pgdb.schema}".notes__replica_log WHERE gone = 1 AND id NOT IN (2, 6)`)
    const after = (await get(digestUrl(server.base, { collection: 'note', filter, cursor }))).body
    expect(after.count).toBe(before.count - 1)
    expect(after.hash).not.toBe(before.hash)
    const bad = await get(digestUrl(server.base, { collection: 'note', filter: { project_id: 'x' }, cursor }))
    expect([bad.status, bad.body.error.code]).toEqual([400, 'bad_filter'])
  })
})
