import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Authorize, CollectionsConfig, ReplicaSource } from '../../src/server/index.js'
import { BACKENDS, openBackend, pushTo, type Backend } from './backends.js'
import { get } from './helpers.js'

// The breaks an outside review found in the reference server, one test each, on both databases.

const BIG = '1152921504606846976' // 2^60: one org
const BIG_NEXT = '1152921504606846977' // 2^60 + 1: another org, the same JavaScript number as 2^60

const SETUP = [
  `CREATE TABLE $S.accounts (id INTEGER PRIMARY KEY, org_id BIGINT NOT NULL, name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member', password_hash TEXT)`,
  `CREATE TABLE $S.tags (id TEXT PRIMARY KEY, org_id BIGINT NOT NULL, label TEXT NOT NULL UNIQUE CHECK (length(label) > 0), slug TEXT)`,
  `CREATE INDEX tags_by_slug ON $S.tags (slug)`,
  `INSERT INTO $S.accounts (id, org_id, name, password_hash) VALUES (1, ${BIG}, 'mine', 'h1'), (2, ${BIG_NEXT}, 'theirs', 'h2')`,
  `INSERT INTO $S.tags (id, org_id, label, slug) VALUES ('t-other', 2, 'secret-label', 's')`,
]

const collections = {
  account: { table: 'accounts', columns: ['id', 'org_id', 'name'], scopeFields: ['org_id'], writable: ['name'] },
  // No `filterable`: clients cannot filter, authorize still scopes.
  tag: { table: 'tags', scopeFields: ['org_id'], writable: ['org_id', 'label', 'slug'] },
} as const satisfies CollectionsConfig

const authorize: Authorize = (req) => {
  const token = req.headers.get('authorization')
  if (token === 'big') return { org_id: BIG }
  if (token === 'org1') return { org_id: 1 }
  if (token === 'lossy') return { org_id: 2 ** 60 }
  return null
}

let n = 0
const mid = () => `m${++n}`
const upsert = (collection: string, key: string | number, row: Record<string, unknown>, baseVersion: number | null = null) => ({
  id: mid(),
  collection,
  op: 'upsert',
  key,
  row: { id: key, ...row },
  baseVersion,
})
const del = (collection: string, key: string | number, baseVersion: number | null = null) => ({ id: mid(), collection, op: 'delete', key, baseVersion })
const withoutId = (r: Record<string, unknown>) => ({ ...r, id: undefined })

describe.each(BACKENDS)('security over %s', (name) => {
  let db: Backend
  let base: string
  const errors: unknown[] = []
  const as = (token: string) => ({ authorization: token })
  const push = (mutations: unknown, token = 'org1', headers: Record<string, string> = {}) => pushTo(`${base}`, mutations, { ...as(token), ...headers })
  const results = async (mutations: unknown[], token = 'org1') => {
    const a = await push(mutations, token)
    expect(a.status, a.text).toBe(200)
    return a.body.results as Array<Record<string, any>>
  }

  beforeAll(async () => {
    db = await openBackend(name, SETUP)
    ;({ base } = await db.serve({ collections, authorize, onError: (e) => errors.push(e) }))
  })
  afterAll(async () => {
    await db?.close()
    // No test here may cause an unexpected error, except the one that says so.
    expect(errors.filter((e) => !/decimal string/.test(String(e)))).toEqual([])
  })

  describe('1. writes are off by default', () => {
    it('a collection without writable columns refuses pushes, and without any the push endpoint is not served', async () => {
      const readOnly = await db.serve({ collections: { account: { table: 'accounts', scopeFields: ['org_id'] } }, authorize })
      const a = await pushTo(readOnly.base, [del('account', 1)], as('big'))
      expect(a.status).toBe(404)
      expect((await db.sql('SELECT name FROM $S.accounts WHERE id = 1'))[0]!.name).toBe('mine')
      expect((await results([upsert('account', 1, { name: 'x' })], 'big'))[0]).toBeDefined()
      const forced = db.serve({ collections: { account: { table: 'accounts', scopeFields: ['org_id'] } }, authorize, push: true })
      await expect(forced).rejects.toThrow(/no collection lists writable columns/)
    })

    it('a text/plain POST (which any page may send) is 415, a foreign Origin 403, before authorize sees it', async () => {
      const calls: string[] = []
      const guarded = await db.serve({
        collections,
        authorize: (req, c) => (calls.push(c.collection), authorize(req, c)),
        allowedOrigins: ['https://app.example.com'],
      })
      const body = JSON.stringify({ mutations: [del('tag', 't-other')] })
      const plain = await fetch(`${guarded.base}/push`, { method: 'POST', headers: { 'content-type': 'text/plain', ...as('org1') }, body })
      expect(plain.status).toBe(415)
      expect((await plain.json()).error.code).toBe('unsupported_media_type')
      const foreign = await pushTo(guarded.base, [del('tag', 'absent-1')], { ...as('org1'), origin: 'https://evil.example' })
      expect([foreign.status, foreign.body.error.code]).toEqual([403, 'forbidden'])
      expect(calls).toEqual([])
      const own = await pushTo(guarded.base, [del('tag', 'absent-2')], { ...as('org1'), origin: 'https://app.example.com' })
      const native = await pushTo(guarded.base, [del('tag', 'absent-3')], as('org1'))
      expect([own.status, native.status]).toEqual([200, 200])
    })
  })

  describe('2. columns clients cannot read are never writable', () => {
    it('a hidden column and a missing one are refused alike, and nothing is written', async () => {
      const [role, hash, missing] = await results(
        [upsert('account', 1, { name: 'x', role: 'admin' }), upsert('account', 1, { name: 'x', password_hash: 'p' }), upsert('account', 1, { name: 'x', nope: 1 })],
        'big',
      )
      for (const r of [role, hash, missing]) expect(withoutId(r!)).toEqual(withoutId(missing!))
      expect(missing!.error.code).toBe('bad_row')
      expect(JSON.stringify([role, hash])).not.toMatch(/role|password_hash|accounts/)
      expect((await db.sql('SELECT role, password_hash FROM $S.accounts WHERE id = 1'))[0]).toEqual({ role: 'member', password_hash: 'h1' })
    })

    it('configuring a column clients cannot read, or no column at all, as writable fails at start', async () => {
      await expect(db.serve({ collections: { account: { ...collections.account, writable: ['role'] } }, authorize })).rejects.toThrow(/"role" .*not in its columns/)
      await expect(db.serve({ collections: { account: { ...collections.account, writable: ['nope'] } }, authorize })).rejects.toThrow(/writable column "nope" is not a column/)
    })
  })

  describe('3. 64-bit scope values are compared exactly, by the database, on reads and writes alike', () => {
    it('the caller of org 2^60 reads, writes and deletes only its own account, never the one of org 2^60 + 1', async () => {
      const pulled = await get(`${base}/pull?collection=account`, { headers: as('big') })
      expect(pulled.body.rows.map((r: { id: number }) => r.id)).toEqual([1])
      const mine = pulled.body.rows[0]
      const theirs = Number((await db.sql('SELECT _version FROM $S.accounts WHERE id = 2'))[0]!._version)
      const [create, overwrite, remove, removeAbsent, own] = await results(
        [
          upsert('account', 2, { name: 'stolen' }),
          upsert('account', 2, { name: 'stolen' }, theirs),
          del('account', 2, theirs),
          del('account', 99, theirs),
          upsert('account', 1, { name: 'renamed' }, mine._version),
        ],
        'big',
      )
      expect(create).toMatchObject({ status: 'rejected', error: { code: 'constraint' } })
      // No conflict showing their row; a delete of it answers as a delete of a key that never was.
      expect(overwrite).toMatchObject({ status: 'conflict', row: null, version: null })
      expect(withoutId(remove!)).toEqual(withoutId(removeAbsent!))
      expect(own).toMatchObject({ status: 'applied', row: { id: 1, name: 'renamed' } })
      expect(await db.sql('SELECT id, name FROM $S.accounts ORDER BY id')).toEqual([
        { id: name === 'sqlite' ? 1n : 1, name: 'renamed' },
        { id: name === 'sqlite' ? 2n : 2, name: 'theirs' },
      ])
    })

    it('authorize returning a 64-bit id as a lossy number is a server error that says how to fix it', async () => {
      const before = errors.length
      const a = await get(`${base}/pull?collection=account`, { headers: as('lossy') })
      expect(a.status).toBe(500)
      expect(a.text).not.toMatch(/org_id|accounts/)
      expect(String(errors[before])).toMatch(/decimal string for ids past 2\^53/)
    })
  })

  describe('4. input the database cannot hold is a per-mutation rejection, and the batch goes on', () => {
    it('a key outside the key column, a value too large for its index, then a good write', async () => {
      const [outOfInt64, outOfColumn, huge, good] = await results([
        del('account', 2 ** 63),
        upsert('account', 3_000_000_000, { name: 'x' }),
        upsert('tag', 'huge', { org_id: 1, label: 'huge', slug: randomBytes(100_000).toString('base64') }),
        upsert('tag', 'good', { org_id: 1, label: 'good' }),
      ])
      expect(outOfInt64).toMatchObject({ status: 'rejected', error: { code: 'bad_mutation' } })
      // PostgreSQL's int4 ends at 2^31 - 1; SQLite's integers are 64-bit, so there it is an insert
      // the database refuses (org_id is NOT NULL and not writable).
      expect(outOfColumn).toMatchObject({ status: 'rejected', error: { code: name === 'postgres' ? 'bad_mutation' : 'constraint' } })
      // PostgreSQL cannot index a 130 KB value; SQLite can.
      expect(huge).toMatchObject(name === 'postgres' ? { status: 'rejected', error: { code: 'constraint' } } : { status: 'applied' })
      expect(good).toMatchObject({ status: 'applied' })
    })

    it('a filter value outside the column is a 400', async () => {
      const wide = await db.serve({ collections: { account: { ...collections.account, filterable: ['id'] } }, authorize })
      const a = await get(`${wide.base}/pull?collection=account&filter=${encodeURIComponent('{"id":3000000000}')}`, { headers: as('big') })
      expect(a.status).toBe(name === 'postgres' ? 400 : 200)
    })
  })

  describe('5. no names leave the server, and no answer tells what another tenant holds', () => {
    it('a UNIQUE violation on another tenant\'s value answers like any refused write, without names', async () => {
      const [taken, empty] = await results([upsert('tag', 'n1', { org_id: 1, label: 'secret-label' }), upsert('tag', 'n2', { org_id: 1, label: '' })])
      expect(withoutId(taken!)).toEqual(withoutId(empty!))
      expect(taken).toEqual({ id: taken!.id, status: 'rejected', error: { code: 'constraint', message: 'the database refused this write' } })
    })

    it('a scope column is writable only to values the caller\'s scope allows', async () => {
      const [elsewhere] = await results([upsert('tag', 'moved', { org_id: 2, label: 'moved' })])
      expect(elsewhere).toMatchObject({ status: 'rejected', error: { code: 'forbidden' } })
      expect(await db.sql("SELECT id FROM $S.tags WHERE id = 'moved'")).toEqual([])
    })
  })

  describe('6. costly reads are bounded', () => {
    const rows = 5000
    beforeAll(async () => {
      await db.sql(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${rows})
        INSERT INTO $S.tags (id, org_id, label) SELECT 'bulk-' || n, 3, 'bulk-' || n FROM g`)
      await db.settle()
    })
    const org3: Authorize = () => ({ org_id: 3 })

    it('beyond the concurrency and the queue, a digest is 503 busy with Retry-After; the others and a probe are served', async () => {
      let open!: () => void
      const gate = new Promise<void>((resolve) => (open = resolve))
      const slow: ReplicaSource = { ...db.source, digest: async (plan, budget) => (await gate, db.source.digest(plan, budget)) }
      const s = await db.serve({ collections, authorize: org3, source: slow, maxConcurrentScans: 1, maxQueuedScans: 1 })
      const cursor = (await get(`${s.base}/pull?collection=tag&limit=1`)).body.cursor
      const digests = Array.from({ length: 6 }, () => fetch(`${s.base}/digest?collection=tag&cursor=${cursor}`))
      const refused = await Promise.all(digests.slice(2))
      for (const r of refused) {
        expect(r.status).toBe(503)
        expect(r.headers.get('retry-after')).toBe('1')
        expect((await r.json()).error.code).toBe('busy')
      }
      // Reads are not held behind the digests; a first page just goes without its `remaining`.
      const probe = await get(`${s.base}/pull?collection=tag&limit=5`)
      expect(probe.status).toBe(200)
      expect(probe.body.remaining).toBeUndefined()
      open()
      const served = await Promise.all(digests.slice(0, 2))
      expect(served.map((r) => r.status)).toEqual([200, 200])
    })

    it('a digest over more rows than maxScanRows is 413; a count stops at it', async () => {
      const s = await db.serve({ collections, authorize: org3, maxScanRows: 1000 })
      const first = await get(`${s.base}/pull?collection=tag&limit=10`)
      expect(first.body.remaining).toBe(1000)
      const last = await get(`${s.base}/pull?collection=tag&limit=1000&cursor=${first.body.cursor}`)
      const cursor = (await get(`${s.base}/pull?collection=tag&limit=1000&cursor=${last.body.cursor}`)).body.cursor
      const digest = await get(`${s.base}/digest?collection=tag&cursor=${cursor}`)
      expect([digest.status, digest.body.error.code]).toEqual([413, 'too_large'])
      const small = await get(`${s.base}/digest?collection=tag&cursor=${first.body.cursor}`)
      expect(small.body.count).toBe(10)
    })

    it('a digest lets other work run while it reads (it yields between chunks)', async () => {
      const s = await db.serve({ collections, authorize: org3 })
      const { cursor } = (await get(`${s.base}/pull?collection=tag&limit=1000`)).body
      let all = cursor
      for (let i = 0; i < 5; i++) all = (await get(`${s.base}/pull?collection=tag&limit=1000&cursor=${all}`)).body.cursor ?? all
      const order: string[] = []
      const digest = s.handler.handle({ method: 'GET', url: new URL(`http://x/digest?collection=tag&cursor=${all}`), headers: new Headers(), raw: null }).then((a) => {
        order.push('digest')
        return a
      })
      setImmediate(() => order.push('other work'))
      expect((await digest)!.status).toBe(200)
      expect(JSON.parse((await digest)!.body).count).toBe(rows)
      expect(order[0]).toBe('other work')
    })

    it('a write while a digest runs gives the digest of the state before it or after it, never a mix', async () => {
      const s = await db.serve({ collections, authorize: () => ({ org_id: 3 }) })
      let cursor = (await get(`${s.base}/pull?collection=tag&limit=1000`)).body.cursor
      for (let more = true; more; ) {
        const page = await get(`${s.base}/pull?collection=tag&limit=1000&cursor=${cursor}`)
        cursor = page.body.cursor
        more = page.body.hasMore
      }
      const digest = async () => JSON.parse((await s.handler.handle({ method: 'GET', url: new URL(`http://x/digest?collection=tag&cursor=${cursor}`), headers: new Headers(), raw: null }))!.body)
      const before = await digest()
      // One write changes (and so moves out of the digest) its first row, read in the first chunk,
      // and its last, read in the last: a digest of chunks from both sides of it would count one.
      const running = digest()
      const written = new Promise((resolve) => setImmediate(() => resolve(db.sql("UPDATE $S.tags SET slug = 'changed' WHERE id IN ('bulk-1', 'bulk-4999')"))))
      const during = await running
      await written
      const after = await digest()
      expect(after.count).toBe(before.count - 2)
      // Count and hash say which state was read; the reach (`version`) follows the cluster-wide
      // horizon on PostgreSQL, which other sessions' transactions move at any time.
      const state = ({ count, hash }: { count: number; hash: number }) => ({ count, hash })
      expect([state(before), state(after)]).toContainEqual(state(during))
    })
  })

  describe('7. the rest of the push endpoint', () => {
    it('authorize is asked for every push, malformed ones included, before anything is judged', async () => {
      const calls: string[] = []
      const counted = await db.serve({ collections, authorize: (req, c) => (calls.push(`${c.operation}:${c.collection}`), authorize(req, c)) })
      for (const body of ['{', '{"mutations":[{"id":"a","op":"delete"}]}', '{"mutations":[]}']) {
        const a = await pushTo(counted.base, body)
        expect([a.status, a.body.error.code]).toEqual([401, 'unauthorized'])
      }
      expect(calls).toEqual(['write:', 'write:', 'write:'])
      const [noCollection] = (await pushTo(counted.base, [{ id: 'x1', op: 'delete', key: 1, baseVersion: null }], as('org1'))).body.results
      expect(noCollection).toMatchObject({ status: 'rejected', error: { code: 'bad_mutation' } })
      expect(calls.at(-1)).toBe('write:')
    })

    it('mutation ids older than keepMutationIdsFor are pruned after a push', async () => {
      await results([del('tag', 'absent-old')])
      const aged = new Date(Date.now() - 2 * 24 * 3600 * 1000).toISOString()
      await db.sql('UPDATE $S._replica_mutations SET at = ?', [aged])
      const fresh = await db.serve({ collections, authorize, keepMutationIdsFor: 24 * 3600 * 1000 })
      const recent = del('tag', 'absent-new')
      expect((await pushTo(fresh.base, [recent], as('org1'))).status).toBe(200)
      expect((await db.sql('SELECT id FROM $S._replica_mutations')).map((r) => r.id)).toEqual([recent.id])
    })

    it('a push body the client abandons is not an unexpected error', async () => {
      const before = errors.length
      await new Promise<void>((resolve) => {
        const req = http.request(`${base}/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 1000, ...as('org1') } })
        req.on('error', () => resolve())
        req.write('{"mutations":[')
        setTimeout(() => {
          req.destroy()
          resolve()
        }, 50)
      })
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(errors.length).toBe(before)
      expect((await get(`${base}/pull?collection=tag&limit=1`, { headers: as('org1') })).status).toBe(200)
    })

    it('a mutation id resent by a caller of another scope is id_reused, never the stored answer', async () => {
      const wide = await db.serve({ collections, authorize: (req) => (req.headers.get('authorization') === 'org2' ? { org_id: 2 } : { org_id: [1, 2] }) })
      const m = upsert('tag', 'shared-id', { org_id: 2, label: 'org 2 private' })
      const [first] = (await pushTo(wide.base, [m], as('both'))).body.results
      expect(first).toMatchObject({ status: 'applied', row: { label: 'org 2 private' } })
      const [again] = (await pushTo(wide.base, [m], as('org2'))).body.results
      expect(again).toMatchObject({ status: 'rejected', error: { code: 'id_reused' } })
    })

    it('a collection without filterable serves reads and refuses every filter', async () => {
      const a = await get(`${base}/pull?collection=tag&filter=${encodeURIComponent('{"label":"x"}')}`, { headers: as('org1') })
      expect([a.status, a.body.error.code]).toEqual([403, 'filter_not_allowed'])
    })
  })
})
