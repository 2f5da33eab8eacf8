import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collection, createFocusManager, createOnlineManager, createReplica, httpTransport, memoryPersistence } from '../../src'
import type { ReplicaEvent } from '../../src'
import { createReplicaHandler, postgresSource } from '../../src/server'
import { makeStore, waitFor } from '../fixtures/store'
import { PG_URL, SECRET, pgSchema, serve } from '../server/helpers'
import { todoCollections } from '../writes/serverFixture'
import type { Todo } from '../writes/harness'

// The digest check against the reference server over PostgreSQL, while another connection holds
// a transaction open: the server's version horizon then holds committed changes back from every
// pull. A digest may only be compared, and a repair may only sweep, when nothing is held back.

const INTERVAL = 60_000
let db: Awaited<ReturnType<typeof pgSchema>>
let http: Awaited<ReturnType<typeof serve>>
let S: string
const q = async (sql: string, values?: unknown[]) => (await db.pool.query(sql, values)).rows

beforeAll(async () => {
  db = await pgSchema('replica_digest')
  S = `"${db.schema}"`
  await q(`CREATE TABLE ${S}.todos (id text PRIMARY KEY, list_id integer NOT NULL, title text NOT NULL,
    done boolean NOT NULL DEFAULT false, created_at text, updated_at text)`)
  await q(`CREATE TABLE ${S}.labels (id integer PRIMARY KEY, list_id integer NOT NULL, name text)`)
  const handler = createReplicaHandler({
    source: postgresSource({ pool: db.pool, schema: db.schema }),
    collections: todoCollections,
    authorize: () => ({}),
    basePath: '/replica',
    cursorSecret: SECRET,
  })
  await handler.ready()
  http = await serve(handler)
})
afterAll(async () => {
  await http?.close()
  await db?.drop()
})

function client() {
  let clock = Date.UTC(2026, 0, 1)
  const events: ReplicaEvent[] = []
  const focusManager = createFocusManager({ setEventListener: () => undefined })
  const replica = createReplica({
    collections: { todo: collection<Todo>() },
    transport: httpTransport({ url: `${http.base}/replica` }),
    persistence: memoryPersistence(),
    pollingInterval: 0,
    digestInterval: INTERVAL,
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
      clock += INTERVAL
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
async function withSlowTransaction(during: () => Promise<void>) {
  const slow = new pg.Client({ connectionString: PG_URL })
  await slow.connect()
  try {
    await slow.query('BEGIN')
    await slow.query('SELECT pg_current_xact_id()')
    await during()
  } finally {
    await slow.query('COMMIT').catch(() => {})
    await slow.end()
  }
}

describe('digest check over PostgreSQL with the horizon held back', () => {
  it('a committed change the horizon holds back causes no repair, and the row it changed never leaves the client', async () => {
    await q(`INSERT INTO ${S}.todos (id, list_id, title) VALUES ('a', 1, 'a'), ('b', 1, 'b'), ('c', 1, 'c')`)
    const c = client()
    const scope = { collection: 'todo', filter: { list_id: 1 } }
    c.store.dispatch(c.replica.actions.subscribe(scope))
    await c.later(() => c.replica.selectors.todo.selectTotal(c.store.getState()) === 3)
    expect(c.todo('b')).toMatchObject({ title: 'b' })

    await withSlowTransaction(async () => {
      // A later transaction changes `b` and commits: its new version is held back.
      await q(`UPDATE ${S}.todos SET title = 'b, edited' WHERE id = 'b'`)

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
    await q(`INSERT INTO ${S}.todos (id, list_id, title) VALUES ('p', 2, 'p'), ('r', 2, 'r')`)
    const c = client()
    const narrow = { collection: 'todo', filter: { list_id: 2 } }
    const wide = { collection: 'todo', filter: { list_id: [2, 3] } }
    c.store.dispatch(c.replica.actions.subscribe(narrow))
    await c.later(() => c.replica.selectors.todo.selectTotal(c.store.getState()) === 2)
    c.store.dispatch(c.replica.actions.unsubscribe(narrow))

    await withSlowTransaction(async () => {
      // Committed, but above the horizon: the new stream cannot bring `r` yet.
      await q(`UPDATE ${S}.todos SET title = 'r, edited' WHERE id = 'r'`)
      c.store.dispatch(c.replica.actions.subscribe(wide))
      await waitFor(c.store, (s) => c.replica.selectors.selectSubscription(s, wide).status === 'synced')
      expect(c.todo('r')).toMatchObject({ title: 'r' })
    })
    await c.later(() => c.todo('r')?.title === 'r, edited')
    expect(c.replica.selectors.todo.selectWhere(c.store.getState(), { list_id: [2, 3] }).map((row) => row.id).sort()).toEqual(['p', 'r'])
    await c.store.replica.close()
  })
})
