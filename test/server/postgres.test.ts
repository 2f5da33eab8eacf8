import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createReplicaHandler,
  createReplicaWriter,
  exampleCollections,
  postgresSource,
  seedExampleDataPostgres,
  type Authorize,
  type ReplicaWriter,
  type Scope,
} from '../../src/server/index.js'
import { collection, createFocusManager, createOnlineManager, createReplica, httpPushTransport, httpTransport, memoryPersistence } from '../../src'
import type { PushTransport, ReplicaEvent } from '../../src'
import { makeStore, waitFor } from '../fixtures/store'
import { todoCollections } from '../writes/serverFixture'
import type { Todo } from '../writes/harness'
import { PG_URL, SECRET, applyRows, get, inOrder, pgSchema, pgSettled, pullAll, serve } from './helpers.js'

// Everything that touches PostgreSQL lives in this one file, in a schema of its own: the version
// horizon is cluster-wide, so an open transaction in a parallel file would only slow others down,
// but tests here hold transactions open on purpose and run one after another.
let db: Awaited<ReturnType<typeof pgSchema>>
let server: Awaited<ReturnType<typeof serve>>
let writer: ReplicaWriter
let S: string

const authorize: Authorize = (req, { collection }) => {
  const token = req.headers.get('authorization')
  if (token === 'Bearer p1') {
    const scope: Scope = collection === 'project' ? { id: 1 } : { project_id: [1] }
    return scope
  }
  return token === 'Bearer banned' ? false : token ? null : {}
}

const cursorVersion = (cursor: string) => JSON.parse(Buffer.from(cursor.split('.')[0]!, 'base64url').toString())[0] as number
const q = async (sql: string, values?: unknown[]) => (await db.pool.query(sql, values)).rows

beforeAll(async () => {
  db = await pgSchema('replica_pg')
  S = `"${db.schema}"`
  // 20,000 notes written before the install: all of them get version 0 and only ids order them.
  await seedExampleDataPostgres(db.pool, db.schema, { projects: 3, contacts: 300, notes: 20_000, rowsPerTimestamp: 900 })
  const source = postgresSource({ pool: db.pool, schema: db.schema })
  const replica = createReplicaHandler({ source, collections: exampleCollections, authorize, cursorSecret: SECRET })
  writer = createReplicaWriter({ source, collections: exampleCollections })
  await replica.ready()
  // 10,000 more in one transaction after it: they all share that transaction's version.
  await q(`INSERT INTO ${S}.notes (id, project_id, contact_id, body, created_at, updated_at)
    SELECT g, 1 + g % 3, 1 + g % 300, 'bulk ' || g, '2015-03-19T20:14:25.000123Z', '2015-03-19T20:15:00.000001Z'
    FROM generate_series(20001, 30000) g`)
  // And 1,000 updated in another.
  await q(`UPDATE ${S}.notes SET body = body || '!' WHERE id % 30 = 0`)
  server = await serve(replica)
})
afterAll(async () => {
  await server?.close()
  await db?.drop()
})

describe('PostgreSQL: paging', () => {
  it.each([
    ['no filter', {}, 'true', true],
    ['one project', { project_id: 2 }, 'project_id = 2', true],
    ['two projects (IN)', { project_id: [1, 3] }, 'project_id IN (1, 3)', true],
    ['contacts (IN) and project', { project_id: 1, contact_id: [1, 4, 7, 100, 201] }, 'project_id = 1 AND contact_id IN (1, 4, 7, 100, 201)', false],
  ])('%s: every row exactly once, in order, across runs of one shared version', async (_name, filter, where, longRuns) => {
    await pgSettled(q)
    const { rows } = await pullAll(server.base, 'note', filter, 250)
    const expected = await q(`SELECT id, _version::float8 AS v FROM ${S}.notes WHERE ${where} ORDER BY _version, id`)
    expect(rows.map((r) => [r.id, r._version])).toEqual(expected.map((e) => [e.id, e.v]))
    expect(inOrder(rows)).toBe(true)
    const shared = new Map<number, number>()
    for (const r of rows) shared.set(r._version, (shared.get(r._version) ?? 0) + 1)
    if (longRuns) expect(Math.max(...shared.values())).toBeGreaterThan(250)
  })

  it('the 2015 endpoint pages through the same data with echoed microsecond cursors', async () => {
    const expected = await q(`SELECT id FROM ${S}.notes WHERE project_id = 2 ORDER BY updated_at, id`)
    const got: number[] = []
    let scope: Record<string, unknown> = { collectionName: 'note', filter: { project_id: 2 } }
    let firstCount: number | null = null
    for (;;) {
      const a = await get(`${server.base}/replicated_db/download_updates?scope=${encodeURIComponent(JSON.stringify(scope))}`)
      expect(a.status).toBe(200)
      firstCount ??= a.body.availableUpdatesCount
      if (a.body.data.length === 0) break
      got.push(...a.body.data.map((r: any) => r.id))
      const last = a.body.data.at(-1)
      scope = { ...scope, lastIdCursor: last.id, lastUpdatedCursor: last.updated_at }
    }
    expect(firstCount).toBe(expected.length)
    expect(got).toEqual(expected.map((e) => e.id))
  })
})

describe('PostgreSQL: no missed updates when transactions commit out of order', () => {
  it('a pull never passes the version of a transaction still open, and picks its rows up after it commits', async () => {
    const { cursor: start } = await pullAll(server.base, 'note', { project_id: 1 }, 250)
    const A = new pg.Client({ connectionString: PG_URL })
    const B = new pg.Client({ connectionString: PG_URL })
    await A.connect()
    await B.connect()
    try {
      await A.query('BEGIN')
      await A.query(`INSERT INTO ${S}.notes (id, project_id, contact_id, body, created_at, updated_at) VALUES (90001, 1, 1, 'slow A', 'x', 'x')`)
      const a = Number((await A.query(`SELECT _version FROM ${S}.notes WHERE id = 90001`)).rows[0]._version)
      await B.query('BEGIN')
      await B.query(`INSERT INTO ${S}.notes (id, project_id, contact_id, body, created_at, updated_at) VALUES (90002, 1, 1, 'fast B', 'x', 'x')`)
      await B.query(`UPDATE ${S}.notes SET project_id = 2 WHERE id = 4`) // a move-out of project 1, also by B
      const b = Number((await B.query(`SELECT _version FROM ${S}.notes WHERE id = 90002`)).rows[0]._version)
      expect(b).toBeGreaterThan(a)
      await B.query('COMMIT')
      expect(await q(`SELECT id FROM ${S}.notes WHERE id = 90002`)).toHaveLength(1) // B is visible

      const during = await pullAll(server.base, 'note', { project_id: 1 }, 250, start)
      expect(during.rows.map((r) => r.id)).not.toContain(90002)
      expect(during.rows.map((r) => r.id)).not.toContain(4)
      expect(during.last.hasMore).toBe(false)
      // B's committed rows are held back, and the last page says so.
      expect(during.last.heldBack).toBe(true)
      expect(cursorVersion(during.cursor!)).toBeLessThan(a)

      await A.query('COMMIT')
      await pgSettled(q)
      const after = await pullAll(server.base, 'note', { project_id: 1 }, 250, during.cursor)
      expect(after.rows.map((r) => [r.id, r._version, r._deleted ?? false])).toEqual([
        [90001, a, false],
        [4, b, true],
        [90002, b, false],
      ])
      expect(after.last.heldBack).toBeUndefined()
    } finally {
      await A.query('ROLLBACK').catch(() => {})
      await A.end()
      await B.end()
    }
  })

  it('an open transaction that only reads does not hold the horizon back', async () => {
    const R = new pg.Client({ connectionString: PG_URL })
    await R.connect()
    try {
      await R.query('BEGIN ISOLATION LEVEL REPEATABLE READ')
      await R.query(`SELECT count(*) FROM ${S}.notes`)
      const { cursor } = await pullAll(server.base, 'note', { project_id: 3 }, 1000)
      await q(`UPDATE ${S}.notes SET body = 'seen' WHERE id = 3`)
      // Waits for writers of other test files only: R has no transaction id, so it holds nothing.
      await pgSettled(q)
      const { rows } = await pullAll(server.base, 'note', { project_id: 3 }, 1000, cursor)
      expect(rows.map((r) => r.id)).toEqual([3])
    } finally {
      await R.query('ROLLBACK')
      await R.end()
    }
  })
})

describe('PostgreSQL: deletes and move-outs as tombstones, versions kept by triggers', () => {
  type Sub = { filter: object; where: string; cursor: string | null; held: Map<unknown, any> }
  const subs: Sub[] = [
    { filter: { project_id: 1 }, where: 'project_id = 1', cursor: null, held: new Map() },
    { filter: { project_id: 2 }, where: 'project_id = 2', cursor: null, held: new Map() },
    { filter: { project_id: [1, 2] }, where: 'project_id IN (1, 2)', cursor: null, held: new Map() },
    { filter: {}, where: 'true', cursor: null, held: new Map() },
  ]
  async function syncAll() {
    await pgSettled(q)
    const received: any[][] = []
    for (const sub of subs) {
      const { rows, cursor } = await pullAll(server.base, 'note', sub.filter, 1000, sub.cursor)
      sub.cursor = cursor
      applyRows(sub.held, rows)
      received.push(rows)
    }
    for (const sub of subs) {
      const live = await q(`SELECT id, _version::float8 AS v FROM ${S}.notes WHERE ${sub.where} AND NOT _deleted ORDER BY id`)
      expect([...sub.held.values()].map((r) => [r.id, r._version]).sort((x, y) => x[0] - y[0])).toEqual(live.map((l) => [l.id, l.v]))
    }
    return received as [any[], any[], any[], any[]]
  }

  it('starts converged', async () => {
    await syncAll()
  })

  it('helper writes: remove is a tombstone, a move is a tombstone for the old filter only', async () => {
    // In this data note n belongs to project ((n - 1) % 3) + 1: 8, 11, 14, ... are project 2's.
    const tomb = await writer.remove('note', 8)
    expect(tomb).toEqual({ id: 8, _version: tomb!._version, _deleted: true })
    const moved = await writer.update('note', 11, { project_id: 3 })
    const [p1, p2, p12, all] = await syncAll()
    expect(p1).toEqual([])
    expect(p2).toEqual([tomb, { id: 11, _version: moved!._version, _deleted: true }])
    expect(p12).toEqual([tomb, { id: 11, _version: moved!._version, _deleted: true }])
    expect(all).toEqual([tomb, moved])
  })

  it('raw SQL: DELETE, UPDATE moves and INSERT keep versions and tombstones right', async () => {
    const before = Number((await q(`SELECT max(_version) AS m FROM ${S}.notes`))[0].m)
    await q(`DELETE FROM ${S}.notes WHERE id = 14`) // project 2
    await q(`UPDATE ${S}.notes SET project_id = 1 WHERE id = 17`) // 2 -> 1
    await q(`UPDATE ${S}.notes SET _version = 1 WHERE id = 20`) // trying to set a version by hand
    await q(`INSERT INTO ${S}.notes (id, project_id, contact_id, body, created_at, updated_at) VALUES (91000, 2, 1, 'raw', 'x', 'x')`)
    const versions = await q(`SELECT id, _version::float8 AS v FROM ${S}.notes WHERE id IN (17, 20, 91000)`)
    for (const r of versions) expect(r.v).toBeGreaterThan(before)
    const [p1, p2, p12] = await syncAll()
    expect(p1.map((r) => [r.id, r._deleted ?? false])).toEqual([[17, false]])
    expect(p2.map((r) => [r.id, r._deleted ?? false])).toEqual([[14, true], [17, true], [20, false], [91000, false]])
    // For project_id IN (1, 2) the move from 2 to 1 is an ordinary update.
    expect(p12.map((r) => [r.id, r._deleted ?? false])).toEqual([[14, true], [17, false], [20, false], [91000, false]])
  })

  it('one transaction, many changes: moves back and forth, delete and re-insert, primary-key change', async () => {
    const c = await db.pool.connect()
    try {
      await c.query('BEGIN')
      // All of these notes start in project 2.
      await c.query(`UPDATE ${S}.notes SET project_id = 2 WHERE id = 23`) // same value: no move
      await c.query(`UPDATE ${S}.notes SET project_id = 1 WHERE id = 26`) // 2 -> 1
      await c.query(`UPDATE ${S}.notes SET project_id = 2 WHERE id = 26`) // and back: net no move
      await c.query(`UPDATE ${S}.notes SET project_id = 1 WHERE id = 29`) // 2 -> 1
      await c.query(`DELETE FROM ${S}.notes WHERE id = 29`) // then deleted
      await c.query(`DELETE FROM ${S}.notes WHERE id = 32`) // deleted
      await c.query(`INSERT INTO ${S}.notes (id, project_id, contact_id, body, created_at, updated_at) VALUES (32, 1, 1, 'reborn', 'x', 'x')`)
      await c.query(`UPDATE ${S}.notes SET id = 92000 WHERE id = 35`) // new key
      await c.query('COMMIT')
    } finally {
      c.release()
    }
    // One transaction is one version: rows and tombstones come in id order within it.
    const [p1, p2, p12] = await syncAll()
    expect(p1.map((r) => [r.id, r._deleted ?? false])).toEqual([[32, false]])
    expect(p2.map((r) => [r.id, r._deleted ?? false])).toEqual([
      [23, false],
      [26, false],
      [29, true],
      [32, true],
      [35, true],
      [92000, false],
    ])
    expect(p12.map((r) => [r.id, r._deleted ?? false])).toEqual([
      [23, false],
      [26, false],
      [29, true],
      [32, false],
      [35, true],
      [92000, false],
    ])
  })
})

describe('PostgreSQL: bad input and authorization over HTTP', () => {
  const f = (filter: unknown, init?: RequestInit) =>
    get(`${server.base}/pull?collection=note&filter=${encodeURIComponent(typeof filter === 'string' ? filter : JSON.stringify(filter))}`, init)

  it.each([
    ['SQL in a value', { project_id: "1; DROP TABLE notes; --" }, 400, 'bad_filter'],
    ['an integer out of the column range', { project_id: 99_999_999_999 }, 400, 'bad_filter'],
    ['a fraction for an integer column', { project_id: [1, 2.5] }, 400, 'bad_filter'],
    ['SQL as a field name', { 'project_id = 1 OR 1=1 --': 1 }, 403, 'filter_not_allowed'],
    ['__proto__', '{"__proto__":{"x":1}}', 403, 'filter_not_allowed'],
    ['malformed JSON', '{"project_id":', 400, 'bad_request'],
  ])('%s', async (_name, filter, status, code) => {
    const a = await f(filter)
    expect(a.status).toBe(status)
    expect(a.body.error.code).toBe(code)
  })

  it('a cursor we did not issue', async () => {
    const a = await get(`${server.base}/pull?collection=note&cursor=${Buffer.from('[0,1]').toString('base64url')}.bm9wZQ`)
    expect([a.status, a.body.error.code]).toEqual([400, 'bad_cursor'])
  })

  it.each([
    ['project 2', { project_id: 2 }],
    ['projects 1 and 2', { project_id: [1, 2] }],
    ['nothing', {}],
  ])('a caller scoped to project 1 gets only project 1, filtering for %s', async (_name, filter) => {
    const { rows } = await pullAll(server.base, 'note', filter, 1000, null, { headers: { authorization: 'Bearer p1' } })
    for (const r of rows) if (!r._deleted) expect(r.project_id).toBe(1)
    const live = rows.filter((r) => !r._deleted).map((r) => r.id)
    const allowed = new Set((await q(`SELECT id FROM ${S}.notes WHERE project_id = 1`)).map((r) => r.id))
    for (const id of live) expect(allowed.has(id)).toBe(true)
  })

  it('401 and 403', async () => {
    expect((await f({}, { headers: { authorization: 'Bearer unknown' } })).status).toBe(401)
    expect((await f({}, { headers: { authorization: 'Bearer banned' } })).status).toBe(403)
  })

  it('the tables are intact', async () => {
    expect(Number((await q(`SELECT count(*) AS n FROM ${S}.notes`))[0].n)).toBeGreaterThan(29_000)
  })
})

// The client's digest check and sweeps against this server while another connection holds a
// transaction open: the version horizon then holds committed changes back from every pull. A
// digest may only be compared, and a sweep may only remove rows, when nothing is held back.
// Here, not in a file of its own, for the reason at the top of this file.
const DIGEST_INTERVAL = 60_000
let todoDb: Awaited<ReturnType<typeof pgSchema>>
let todoHttp: Awaited<ReturnType<typeof serve>>
let T: string
const tq = async (sql: string, values?: unknown[]) => (await todoDb.pool.query(sql, values)).rows

beforeAll(async () => {
  todoDb = await pgSchema('replica_digest')
  T = `"${todoDb.schema}"`
  await tq(`CREATE TABLE ${T}.todos (id text PRIMARY KEY, list_id integer NOT NULL, title text NOT NULL,
    done boolean NOT NULL DEFAULT false, created_at text, updated_at text)`)
  await tq(`CREATE TABLE ${T}.labels (id integer PRIMARY KEY, list_id integer NOT NULL, name text)`)
  const handler = createReplicaHandler({
    source: postgresSource({ pool: todoDb.pool, schema: todoDb.schema }),
    collections: todoCollections,
    authorize: () => ({}),
    basePath: '/replica',
    cursorSecret: SECRET,
  })
  await handler.ready()
  todoHttp = await serve(handler)
})
afterAll(async () => {
  await todoHttp?.close()
  await todoDb?.drop()
})

function todoClient(push?: PushTransport) {
  let clock = Date.UTC(2026, 0, 1)
  const events: ReplicaEvent[] = []
  const focusManager = createFocusManager({ setEventListener: () => undefined })
  const replica = createReplica({
    collections: { todo: collection<Todo>() },
    transport: httpTransport({ url: `${todoHttp.base}/replica` }),
    ...(push ? { push } : {}),
    persistence: memoryPersistence(),
    pollingInterval: 0,
    digestInterval: DIGEST_INTERVAL,
    now: () => clock,
    onlineManager: createOnlineManager({ setEventListener: () => undefined, initiallyOnline: true }),
    focusManager,
    onEvent: (event) => events.push(event),
  })
  const store = makeStore(replica)
  return {
    replica,
    store,
    events,
    of: <T extends ReplicaEvent['type']>(type: T) => events.filter((e): e is Extract<ReplicaEvent, { type: T }> => e.type === type),
    todo: (id: string) => replica.selectors.todo.selectById(store.getState(), id),
    /** Lets the digest interval pass, then pulls now (as an app coming back into focus does). */
    async later(until: () => boolean) {
      clock += DIGEST_INTERVAL
      const started = Date.now()
      // Pulls now, and again now and then: a transaction in another test file may hold the
      // cluster-wide horizon back for a moment, which defers the check to the next catch-up.
      for (let round = 0; !until(); round++) {
        if (Date.now() - started > 20_000) throw new Error('condition not met in time')
        if (round % 40 === 0) {
          focusManager.setFocused(false)
          focusManager.setFocused(true)
        }
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    },
  }
}

/**
 * Runs `during` while another connection holds a transaction open (with a transaction id): every
 * pull stops below it, so changes committed meanwhile are held back until it ends.
 */
async function withSlowTransaction(during: (xid: number) => Promise<void>) {
  const slow = new pg.Client({ connectionString: PG_URL })
  await slow.connect()
  try {
    await slow.query('BEGIN')
    const { rows } = await slow.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')
    await during(Number(rows[0]!.xid))
  } finally {
    await slow.query('COMMIT').catch(() => {})
    await slow.end()
  }
}

describe('PostgreSQL: the client\'s digest check and sweeps with the horizon held back', () => {
  it('a committed change the horizon holds back causes no repair, and the row it changed never leaves the client', async () => {
    await tq(`INSERT INTO ${T}.todos (id, list_id, title) VALUES ('a', 1, 'a'), ('b', 1, 'b'), ('c', 1, 'c')`)
    const c = todoClient()
    const scope = { collection: 'todo', filter: { list_id: 1 } }
    c.store.dispatch(c.replica.actions.subscribe(scope))
    await c.later(() => c.replica.selectors.todo.selectTotal(c.store.getState()) === 3)
    expect(c.todo('b')).toMatchObject({ title: 'b' })

    await withSlowTransaction(async () => {
      // A later transaction changes `b` and commits: its new version is held back.
      await tq(`UPDATE ${T}.todos SET title = 'b, edited' WHERE id = 'b'`)

      await c.later(() => c.events.some((e) => e.type === 'digestRepaired' || e.type === 'digestDeferred'))
      expect(c.of('digestRepaired')).toEqual([])
      expect(c.of('digestDeferred')[0]).toEqual({ type: 'digestDeferred', key: 'todo:{"list_id":1}', reason: 'held_back' })
      expect(c.todo('b')).toMatchObject({ title: 'b' })
      expect([...c.replica.selectors.todo.selectIds(c.store.getState())].sort()).toEqual(['a', 'b', 'c'])
    })

    // Once the slow transaction ends, the stream brings the change and the next check matches.
    await c.later(() => c.of('digestChecked').length > 0)
    expect(c.of('digestChecked')).toEqual([expect.objectContaining({ match: true, round: 1 })])
    expect(c.todo('b')).toMatchObject({ title: 'b, edited' })
    expect(c.of('digestRepaired')).toEqual([])
    await c.store.replica.close()
  })

  it('a stream from the beginning sweeps no row while the horizon holds its new version back', async () => {
    await tq(`INSERT INTO ${T}.todos (id, list_id, title) VALUES ('p', 2, 'p'), ('r', 2, 'r')`)
    const c = todoClient()
    const narrow = { collection: 'todo', filter: { list_id: 2 } }
    const wide = { collection: 'todo', filter: { list_id: [2, 3] } }
    c.store.dispatch(c.replica.actions.subscribe(narrow))
    await c.later(() => c.replica.selectors.todo.selectTotal(c.store.getState()) === 2)
    c.store.dispatch(c.replica.actions.unsubscribe(narrow))

    await withSlowTransaction(async () => {
      // Committed, but above the horizon: the new stream cannot bring `r` yet.
      await tq(`UPDATE ${T}.todos SET title = 'r, edited' WHERE id = 'r'`)
      c.store.dispatch(c.replica.actions.subscribe(wide))
      await waitFor(c.store, (s) => c.replica.selectors.selectSubscription(s, wide).status === 'synced')
      expect(c.todo('r')).toMatchObject({ title: 'r' })
    })
    await c.later(() => c.todo('r')?.title === 'r, edited')
    expect(c.replica.selectors.todo.selectWhere(c.store.getState(), { list_id: [2, 3] }).map((row) => row.id).sort()).toEqual(['p', 'r'])
    await c.store.replica.close()
  })

  it('a digest reaches no further than the horizon: a version a transaction still open may take is never covered', async () => {
    await tq(`INSERT INTO ${T}.todos (id, list_id, title) VALUES ('q', 6, 'q')`)
    await pgSettled(tq)
    const base = `${todoHttp.base}/replica`
    const filter = { list_id: 6 }
    const { cursor } = await pullAll(base, 'todo', filter)
    const digest = async () => (await get(`${base}/digest?collection=todo&filter=${encodeURIComponent(JSON.stringify(filter))}&cursor=${cursor}`)).body
    let later = 0
    await withSlowTransaction(async (slow) => {
      // A later transaction commits (elsewhere): its version is above the open one's.
      const [written] = await tq(`WITH w AS (INSERT INTO ${T}.todos (id, list_id, title) VALUES ('q2', 7, 'q2') RETURNING _version) SELECT _version::text AS v FROM w`)
      later = Number(written!.v)
      expect(later).toBeGreaterThan(slow)
      const during = await digest()
      expect(during).toMatchObject({ count: 1 })
      expect(during.version).toBeLessThan(slow)
    })
    await pgSettled(tq)
    expect((await digest()).version).toBeGreaterThanOrEqual(later)
  })
})

describe('PostgreSQL: the client\'s digest covers every version it can hold', () => {
  it('a row a push answer stored above a quiet subscription\'s cursor, then lost by the server, is found and removed within one interval', async () => {
    await tq(`INSERT INTO ${T}.todos (id, list_id, title) VALUES ('u', 4, 'u'), ('w', 4, 'w')`)
    const inner = httpPushTransport({ url: `${todoHttp.base}/replica` })
    let lose: string | undefined
    // The push is applied, and before its answer arrives the server loses the row without a trace
    // (row and log entry): no pull can ever pass a version of it.
    const push: PushTransport = {
      async push(request) {
        const answer = await inner.push(request)
        if (lose !== undefined) {
          await tq(`DELETE FROM ${T}.todos WHERE id = $1`, [lose])
          await tq(`DELETE FROM ${T}.todos__replica_log WHERE id = $1`, [lose])
        }
        return answer
      },
    }
    const c = todoClient(push)
    const scope = { collection: 'todo', filter: { list_id: 4 } }
    c.store.dispatch(c.replica.actions.subscribe(scope))
    await c.later(() => c.replica.selectors.todo.selectTotal(c.store.getState()) === 2)
    lose = 'u'
    c.store.dispatch(c.replica.actions.save({ collection: 'todo', row: { id: 'u', title: 'edited, then lost' } }))
    await waitFor(c.store, (s) => c.replica.selectors.selectPendingWrites(s) === 0 && c.replica.selectors.selectWrites(s).status === 'idle')
    expect(c.todo('u')).toMatchObject({ title: 'edited, then lost' })
    expect(await tq(`SELECT id FROM ${T}.todos WHERE id = 'u'`)).toEqual([])
    // Every transaction older than the push has ended: the horizon has passed its version.
    await pgSettled(tq)

    await c.later(() => c.of('digestChecked').length > 0)
    expect(c.of('digestChecked')[0]).toMatchObject({ key: 'todo:{"list_id":4}', match: false, round: 1 })
    await c.later(() => c.of('digestRepaired').length > 0)
    expect(c.of('digestRepaired')).toEqual([{ type: 'digestRepaired', key: 'todo:{"list_id":4}', upserted: 0, removed: 1 }])
    expect(c.todo('u')).toBeUndefined()
    expect(c.replica.selectors.todo.selectWhere(c.store.getState(), { list_id: 4 }).map((row) => row.id)).toEqual(['w'])
    await c.store.replica.close()
  })
})
