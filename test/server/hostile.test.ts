import http from 'node:http'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReplicaHandler, exampleCollections, seedExampleData, sqliteSource, type ReplicaHandler } from '../../src/server/index.js'
import { SECRET, get, serve, tempDir } from './helpers.js'
import { BACKENDS, openBackend, type Backend } from './backends.js'

// Every hostile request gets a 4xx with a JSON error body, over real HTTP and through the Fetch
// face; every statement SQLite is asked to prepare is recorded, and none contains the input.
const tmp = tempDir()
let db: Database.Database
let replica: ReplicaHandler
let server: Awaited<ReturnType<typeof serve>>
const prepared: string[] = []
let goodCursor = ''
let contactCursor = ''

beforeAll(async () => {
  db = new Database(tmp.file('hostile.db'))
  seedExampleData(db, { projects: 2, contacts: 20, notes: 300 })
  const original = db.prepare.bind(db)
  ;(db as unknown as { prepare: (sql: string) => unknown }).prepare = (sql: string) => {
    prepared.push(sql)
    return original(sql)
  }
  replica = createReplicaHandler({
    source: sqliteSource({ db }),
    collections: exampleCollections,
    authorize: () => ({}),
    cursorSecret: SECRET,
    onError: (e) => {
      throw new Error(`unexpected 500: ${String(e)}`)
    },
  })
  server = await serve(replica)
  goodCursor = (await get(`${server.base}/pull?collection=note&limit=5`)).body.cursor
  contactCursor = (await get(`${server.base}/pull?collection=contact&limit=5`)).body.cursor
})
afterAll(async () => {
  await server?.close()
  db?.close()
  tmp.remove()
})

const enc = encodeURIComponent
const f = (filter: unknown) => `/pull?collection=note&filter=${enc(typeof filter === 'string' ? filter : JSON.stringify(filter))}`
const scope = (s: unknown, path = '/offline/download_updated') => `${path}?scope=${enc(typeof s === 'string' ? s : JSON.stringify(s))}`
const many = (n: number) => Array.from({ length: n }, (_, i) => i)

const cases: Array<[string, () => string, number, string]> = [
  ['unknown collection', () => '/pull?collection=nope', 404, 'unknown_collection'],
  ['collection __proto__', () => '/pull?collection=__proto__', 404, 'unknown_collection'],
  ['collection constructor', () => '/pull?collection=constructor', 404, 'unknown_collection'],
  ['collection hasOwnProperty', () => '/pull?collection=hasOwnProperty', 404, 'unknown_collection'],
  ['SQL as collection name', () => `/pull?collection=${enc('notes; DROP TABLE notes; --')}`, 404, 'unknown_collection'],
  ['missing collection', () => '/pull', 400, 'bad_request'],
  ['collection given twice', () => '/pull?collection=note&collection=contact', 400, 'bad_request'],
  ['unlisted filter field', () => f({ body: 'x' }), 403, 'filter_not_allowed'],
  ['__proto__ filter key', () => f('{"__proto__":{"project_id":1}}'), 403, 'filter_not_allowed'],
  ['__proto__ filter key, scalar', () => f('{"__proto__":1}'), 403, 'filter_not_allowed'],
  ['constructor filter key', () => f({ constructor: 1 }), 403, 'filter_not_allowed'],
  ['prototype filter key', () => f({ prototype: [1] }), 403, 'filter_not_allowed'],
  ['SQL as a field name', () => f({ 'project_id" = 1 OR 1=1; DROP TABLE notes; --': 1 }), 403, 'filter_not_allowed'],
  ['SQL as a value', () => f({ project_id: "1' OR '1'='1'; DROP TABLE notes; --" }), 400, 'bad_filter'],
  ['SQL in an IN list', () => f({ project_id: [1, '2) OR (1=1'] }), 400, 'bad_filter'],
  ['string for an integer column', () => f({ project_id: '1' }), 400, 'bad_filter'],
  ['fraction for an integer column', () => f({ project_id: 1.5 }), 400, 'bad_filter'],
  ['boolean for an integer column', () => f({ project_id: true }), 400, 'bad_filter'],
  ['object as a value', () => f({ project_id: { $gt: 0 } }), 400, 'bad_filter'],
  ['nested array as a value', () => f({ project_id: [[1, 2]] }), 400, 'bad_filter'],
  ['object inside an IN list', () => f({ project_id: [1, { a: 1 }] }), 400, 'bad_filter'],
  ['filter is an array', () => f([1, 2]), 400, 'bad_filter'],
  ['filter is a string', () => f('"project_id"'), 400, 'bad_filter'],
  ['filter is a number', () => f('7'), 400, 'bad_filter'],
  ['too many filter fields', () => f(Object.fromEntries(many(17).map((i) => [`f${i}`, i]))), 400, 'bad_filter'],
  ['1,001 IN values', () => f({ project_id: many(1001) }), 400, 'bad_filter'],
  ['a very long string value', () => f({ project_id: 'x'.repeat(2000) }), 400, 'bad_filter'],
  ['huge number', () => f('{"project_id":1e400}'), 400, 'bad_filter'],
  ['malformed JSON filter', () => '/pull?collection=note&filter=%7Bproject_id%3A1%7D', 400, 'bad_request'],
  ['truncated JSON filter', () => `/pull?collection=note&filter=${enc('{"project_id":')}`, 400, 'bad_request'],
  ['broken percent-encoding', () => '/pull?collection=note&filter=%E0%A4%A', 400, 'bad_request'],
  ['garbage cursor', () => '/pull?collection=note&cursor=abc', 400, 'bad_cursor'],
  ['forged cursor', () => `/pull?collection=note&cursor=${Buffer.from('[0,1]').toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`, 400, 'bad_cursor'],
  ['tampered cursor', () => `/pull?collection=note&cursor=${Buffer.from('[0,0]').toString('base64url')}.${goodCursor.split('.')[1]}`, 400, 'bad_cursor'],
  ['cursor of another collection', () => `/pull?collection=note&cursor=${contactCursor}`, 400, 'bad_cursor'],
  ['SQL as a cursor', () => `/pull?collection=note&cursor=${enc("1' OR 1=1 --")}`, 400, 'bad_cursor'],
  ['oversized cursor', () => `/pull?collection=note&cursor=${'A'.repeat(5000)}.x`, 400, 'bad_cursor'],
  ['negative limit', () => '/pull?collection=note&limit=-1', 400, 'bad_limit'],
  ['zero limit', () => '/pull?collection=note&limit=0', 400, 'bad_limit'],
  ['limit over maxPageSize', () => '/pull?collection=note&limit=1001', 400, 'bad_limit'],
  ['huge limit', () => '/pull?collection=note&limit=99999999999999999999', 400, 'bad_limit'],
  ['non-numeric limit', () => '/pull?collection=note&limit=abc', 400, 'bad_limit'],
  ['fractional limit', () => '/pull?collection=note&limit=2.5', 400, 'bad_limit'],
  ['exponent limit', () => '/pull?collection=note&limit=1e3', 400, 'bad_limit'],
  ['limit twice', () => '/pull?collection=note&limit=1&limit=2', 400, 'bad_request'],
  ['2015: missing scope', () => '/offline/download_updated', 400, 'bad_request'],
  ['2015: malformed scope JSON', () => scope('{collection:note}'), 400, 'bad_request'],
  ['2015: scope is an array', () => scope(['note']), 400, 'bad_request'],
  ['2015: non-string collection', () => scope({ collection: 5 }), 400, 'bad_request'],
  ['2015: array collection', () => scope({ collection: ['note'] }), 400, 'bad_request'],
  ['2015: object collectionName', () => scope({ collectionName: { $ne: 1 } }, '/replicated_db/download_updates'), 400, 'bad_request'],
  ['2015: unknown collection (Rails would constantize it)', () => scope({ collection: 'Kernel' }), 404, 'unknown_collection'],
  ['2015: __proto__ collection', () => scope({ collection: '__proto__' }), 404, 'unknown_collection'],
  ['2015: unlisted filter field', () => scope({ collection: 'note', filter: { body: 'x' } }), 403, 'filter_not_allowed'],
  ['2015: SQL in a filter value', () => scope({ collection: 'note', filter: { project_id: '1 OR 1=1' } }), 400, 'bad_filter'],
  ['2015: garbage lastUpdatedCursor', () => scope({ collection: 'note', lastIdCursor: 1, lastUpdatedCursor: "'; DROP TABLE notes; --" }), 400, 'bad_cursor'],
  ['2015: object lastIdCursor', () => scope({ collection: 'note', lastIdCursor: { a: 1 }, lastUpdatedCursor: '2015-03-19T20:14:25.000123Z' }), 400, 'bad_cursor'],
  ['a filter with 10,000 values (over the query limit)', () => f({ project_id: many(10_000) }), 414, 'too_large'],
  ['an oversized query (over our limit)', () => `/pull?collection=note&x=${'a'.repeat(40_000)}`, 414, 'too_large'],
]

async function check(answer: { status: number; body: any; contentType: string | null }, status: number, code: string) {
  expect(answer.status).toBe(status)
  expect(answer.contentType).toMatch(/^application\/json/)
  expect(answer.body.error.code).toBe(code)
  expect(typeof answer.body.error.message).toBe('string')
}

describe('hostile input over loopback HTTP', () => {
  it.each(cases)('%s → %i %s', async (_name, path, status, code) => {
    await check(await get(server.base + path()), status, code)
  })

  it('an oversized request line that node itself refuses still gets a JSON 4xx', async () => {
    const a = await get(`${server.base}/pull?collection=note&x=${'a'.repeat(200_000)}`)
    await check(a, 414, 'too_large')
  })

  it('other methods are refused', async () => {
    const a = await get(`${server.base}/pull?collection=note`, { method: 'POST', body: '{}' })
    await check(a, 405, 'bad_request')
  })

  it('an oversized body is refused without being read', async () => {
    const answer = await new Promise<{ status: number; body: any; contentType: string | null }>((resolve, reject) => {
      const req = http.request(`${server.base}/pull?collection=note`, { method: 'GET', headers: { 'content-length': 100_000 } }, (res) => {
        let text = ''
        res.on('data', (c) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), contentType: res.headers['content-type'] ?? null }))
      })
      req.on('error', reject)
      req.end(Buffer.alloc(100_000))
    })
    await check(answer, 413, 'too_large')
  })

  it('unknown paths are a JSON 404', async () => {
    await check(await get(`${server.base}/nothing`), 404, 'not_found')
  })

  it('no statement was built from input, and the data is intact', async () => {
    const all = prepared.join('\n')
    for (const marker of ['DROP', 'OR 1=1', "'1'='1'", '$gt', '__proto__', 'constructor', 'Kernel']) expect(all).not.toContain(marker)
    expect(db.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(300)
    // And the server still serves.
    expect((await get(`${server.base}/pull?collection=note&limit=1`)).status).toBe(200)
  })
})

describe('hostile input through the Fetch face', () => {
  it.each(cases)('%s → %i %s', async (_name, path, status, code) => {
    const r = await replica.fetch(new Request(`http://replica.test${path()}`))
    let body: unknown
    const text = await r.text()
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    await check({ status: r.status, body, contentType: r.headers.get('content-type') }, status, code)
  })
})

// Generated hostile input, on both databases and through both faces: whatever comes in, the answer
// is never a 5xx, and no error body names a table, a column clients cannot read, or a constraint.
describe.each(BACKENDS)('generated hostile input over %s', (backendName) => {
  const HIDDEN = ['accounts', 'tags', '_replica_mutations', '__replica_log', '_replica_clock', 'role', 'password_hash', 'tags_label_key', 'tags_label_check', 'accounts_pkey', 'tags_pkey', 'tags_by_slug', 'SQLITE', 'constraint failed', 'violates', 'relation']
  let db: Backend
  let node: string
  let handler: ReplicaHandler
  const unexpected: unknown[] = []
  let cursor = ''
  const tried = { node: 0, fetch: 0 }

  beforeAll(async () => {
    db = await openBackend(backendName, [
      `CREATE TABLE $S.accounts (id INTEGER PRIMARY KEY, org_id BIGINT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL DEFAULT 'member', password_hash TEXT, updated_at TEXT)`,
      `CREATE TABLE $S.tags (id TEXT PRIMARY KEY, org_id BIGINT NOT NULL, label TEXT NOT NULL UNIQUE CHECK (length(label) > 0), slug TEXT, n INTEGER)`,
      `CREATE INDEX tags_by_slug ON $S.tags (slug)`,
      `INSERT INTO $S.accounts (id, org_id, name, password_hash, updated_at) VALUES (1, 1, 'a', 'h', '2015-03-19T20:14:25.000123Z'), (2, 2, 'b', 'h', '2015-03-19T20:14:25.000123Z')`,
      `INSERT INTO $S.tags (id, org_id, label, slug, n) VALUES ('t1', 1, 'one', 's', 1), ('t2', 2, 'two', 's', 2)`,
    ])
    const served = await db.serve({
      collections: {
        account: { table: 'accounts', columns: ['id', 'org_id', 'name', 'updated_at'], filterable: ['id'], scopeFields: ['org_id'], writable: ['name'] },
        tag: { table: 'tags', filterable: ['slug', 'n'], scopeFields: ['org_id'], writable: ['org_id', 'label', 'slug', 'n'] },
      },
      authorize: (req) => (req.headers.get('authorization') === 'ok' ? { org_id: 1 } : null),
      basePath: '/r',
      onError: (e) => unexpected.push(e),
    })
    node = served.base
    handler = served.handler
    await db.settle()
    cursor = (await get(`${node}/r/pull?collection=tag&limit=1`, { headers: { authorization: 'ok' } })).body.cursor
  })
  afterAll(async () => {
    await db?.close()
  })

  const strings = ['', 'x', "' OR 1=1 --", '"; DROP TABLE x; --', '__proto__', 'constructor', '\u0000', 'ü😀', 'a'.repeat(3000), '1e400', '-1', '9223372036854775808', '3000000000', '%00', '../../etc/passwd', '{"$gt":0}']
  const numbers = [0, -1, 1.5, 2 ** 31, 2 ** 53, 2 ** 63, -(2 ** 63), 1e308, -0]
  const scalars: unknown[] = [...strings, ...numbers, true, false, null]
  const values: unknown[] = [...scalars, {}, { $gt: 0 }, [], [1, [2]], ['s', 1, null]]
  const collections = ['account', 'tag', 'nope', '__proto__', '']

  /** Every request the suite sends: a path with query, or a push with its content type and body. */
  function inputs(): Array<{ path: string; method?: string; type?: string; body?: string }> {
    const out: Array<{ path: string; method?: string; type?: string; body?: string }> = []
    const enc = (v: unknown) => encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v) ?? 'undefined')
    for (const c of collections) {
      for (const v of values) {
        for (const field of ['id', 'slug', 'n', 'org_id', 'name']) out.push({ path: `/r/pull?collection=${enc(c)}&filter=${enc({ [field]: v })}` })
        out.push({ path: `/r/pull?collection=${enc(c)}&filter=${enc(v)}` })
        out.push({ path: `/r/pull?collection=${enc(c)}&cursor=${enc(v)}` })
        out.push({ path: `/r/pull?collection=${enc(c)}&limit=${enc(v)}` })
        out.push({ path: `/r/digest?collection=${enc(c)}&cursor=${enc(v)}` })
        out.push({ path: `/r/digest?collection=${enc(c)}&cursor=${cursor}&filter=${enc({ slug: v })}` })
        out.push({ path: `/offline/download_updated?scope=${enc({ collection: c, filter: { id: v }, lastUpdatedCursor: v, lastIdCursor: v })}` })
        out.push({ path: `/replicated_db/download_updates?scope=${enc({ collectionName: c, lastUpdatedCursor: '2015-03-19T20:14:25Z', lastIdCursor: v })}` })
      }
    }
    const push = (mutations: unknown) => ({ path: '/r/push', method: 'POST', type: 'application/json', body: JSON.stringify({ mutations }) })
    let i = 0
    for (const c of collections) {
      for (const key of values) {
        for (const op of ['upsert', 'delete', 'drop']) {
          i++
          out.push(push([{ id: `k${i}`, collection: c, op, key, ...(op === 'upsert' ? { row: { id: key, name: 'n', label: `l${i}`, org_id: 1 } } : {}), baseVersion: null }]))
        }
      }
    }
    for (const column of ['id', 'org_id', 'name', 'label', 'slug', 'n', 'role', 'password_hash', '_version', '_deleted', '__proto__', 'nope']) {
      for (const v of values) {
        i++
        out.push(push([{ id: `c${i}`, collection: 'tag', op: 'upsert', key: `c${i}`, row: { id: `c${i}`, org_id: 1, label: `c${i}`, [column]: v }, baseVersion: null }]))
        out.push(push([{ id: `a${i}`, collection: 'account', op: 'upsert', key: 1, row: { id: 1, [column]: v }, baseVersion: 0 }]))
      }
    }
    for (const v of values) {
      i++
      out.push(push([{ id: `b${i}`, collection: 'tag', op: 'upsert', key: 't1', row: { id: 't1', label: 'x' }, baseVersion: v }]))
      out.push(push([{ id: v, collection: 'tag', op: 'delete', key: 't1', baseVersion: null }]))
      out.push(push(v))
      out.push({ path: '/r/push', method: 'POST', type: 'application/json', body: typeof v === 'string' ? v : JSON.stringify(v) })
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '']) {
      out.push({ path: '/r/push', method: 'POST', type, body: JSON.stringify({ mutations: [{ id: 'z', collection: 'tag', op: 'delete', key: 't1', baseVersion: null }] }) })
    }
    for (const method of ['PUT', 'DELETE', 'PATCH', 'GET']) out.push({ path: '/r/push', method }, { path: '/r/pull?collection=tag', method })
    return out
  }

  function judge(status: number, text: string, what: string) {
    expect(status, `${what} → ${status} ${text.slice(0, 200)}`).toBeLessThan(500)
    if (status >= 400) {
      const body = JSON.parse(text) as { error: { code: string; message: string } }
      expect(typeof body.error.code).toBe('string')
    }
    for (const name of HIDDEN) expect(text, `${what} answered with "${name}"`).not.toContain(name)
  }

  /** Sends every input through one face; returns how many. */
  async function tryAll(send: (url: string, init: RequestInit) => Promise<Response>, origin: string) {
    let count = 0
    for (const input of inputs()) {
      const r = await send(origin + input.path, {
        method: input.method ?? 'GET',
        headers: { authorization: 'ok', ...(input.type !== undefined ? { 'content-type': input.type } : {}) },
        ...(input.body !== undefined ? { body: input.body } : {}),
      })
      judge(r.status, await r.text(), `${input.method ?? 'GET'} ${input.path.slice(0, 120)} ${input.body?.slice(0, 120) ?? ''}`)
      count++
    }
    expect(unexpected).toEqual([])
    return count
  }

  it('through node:http, never a 5xx and never a name', async () => {
    tried.node = await tryAll(fetch, node)
  })

  it('through the Fetch face, never a 5xx and never a name', async () => {
    tried.fetch = await tryAll((url, init) => handler.fetch(new Request(url, init)), 'http://replica.test')
    // How many: reported so a reader can see the breadth.
    console.info(`generated hostile inputs over ${backendName}: ${tried.node} via node:http, ${tried.fetch} via Fetch`)
  })
})
