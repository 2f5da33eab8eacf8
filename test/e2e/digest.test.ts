import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { collection, createFocusManager, createOnlineManager, createReplica, httpPushTransport, httpTransport, memoryPersistence, ReplicaError } from '../../src'
import type { Persistence, PushTransport, ReplicaEvent, Transport } from '../../src'
import { createReplicaHandler, createReplicaWriter, exampleCollections, seedExampleData, sqliteSource } from '../../src/server'
import type { ExampleNote, ReplicaWriter } from '../../src/server'
import { SECRET, serve, tempDir } from '../server/helpers'
import { makeStore, waitFor } from '../fixtures/store'

// The digest check end to end: the client against the reference server (SQLite) over loopback.
// Divergence is made behind the stream's back with raw SQL that also erases the move log's trace,
// so only the digest can find it.

const INTERVAL = 60_000
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function setup(notes = 600) {
  const tmp = tempDir()
  const db = new Database(tmp.file('server.db'))
  seedExampleData(db, { projects: 2, contacts: 20, notes })
  const source = sqliteSource({ db })
  // Notes are writable here, so that a client's push answers can store rows too.
  const collections = { ...exampleCollections, note: { ...exampleCollections.note, writable: ['body', 'project_id'] } }
  const handler = createReplicaHandler({ source, collections, authorize: () => ({}), basePath: '/replica', cursorSecret: SECRET })
  await handler.ready()
  const server = await serve(handler)
  const writer: ReplicaWriter = createReplicaWriter({ source, collections: exampleCollections })
  cleanups.push(() => {
    db.close()
    tmp.remove()
  })
  cleanups.push(() => server.close())
  /** Runs `change` with the replication triggers dropped: versions stay as written, nothing is logged. */
  const behindTheBack = (change: () => void) => {
    const triggers = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'notes'`).all() as Array<{ name: string; sql: string }>
    db.transaction(() => {
      for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`)
      change()
      for (const t of triggers) db.exec(t.sql)
    })()
  }
  const serverRows = (where: string) =>
    (db.prepare(`SELECT * FROM notes WHERE ${where} AND _deleted = 0 ORDER BY id`).all() as Array<Record<string, unknown>>).map(({ _deleted, ...row }) => row)
  return { db, url: `${server.base}/replica`, writer, behindTheBack, serverRows }
}

/** A transport that counts requests and can run something just before the next digest request. */
function instrumented(inner: Transport) {
  const counts = { pulls: 0, fromStart: 0, digests: 0 }
  let beforeDigest: Array<() => unknown> = []
  const transport: Transport = {
    pull(request) {
      counts.pulls++
      if (request.checkpoint === null) counts.fromStart++
      return inner.pull(request)
    },
    async digest(request) {
      counts.digests++
      const hooks = beforeDigest
      beforeDigest = []
      for (const hook of hooks) await hook()
      return inner.digest!(request)
    },
  }
  return { transport, counts, beforeDigest: (hook: () => unknown) => beforeDigest.push(hook) }
}

function client(transport: Transport, options: { persistence?: Persistence; pageSize?: number; push?: PushTransport } = {}) {
  let clock = Date.UTC(2026, 0, 1)
  const events: ReplicaEvent[] = []
  const focusManager = createFocusManager({ setEventListener: () => undefined })
  const replica = createReplica({
    collections: { note: collection<ExampleNote>() },
    transport,
    ...(options.push ? { push: options.push } : {}),
    persistence: options.persistence ?? memoryPersistence(),
    pageSize: options.pageSize ?? 250,
    pollingInterval: 0,
    digestInterval: INTERVAL,
    now: () => clock,
    onlineManager: createOnlineManager({ setEventListener: () => undefined, initiallyOnline: true }),
    focusManager,
    onEvent: (event) => events.push(event),
  })
  const store = makeStore(replica)
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await store.replica.close()
  }
  cleanups.push(close)
  const of = <T extends ReplicaEvent['type']>(type: T, key?: string) =>
    events.filter((e): e is Extract<ReplicaEvent, { type: T }> => e.type === type && (key === undefined || (e as { key?: string }).key === key))
  return {
    replica,
    store,
    events,
    of,
    close,
    /** Lets the digest interval pass, then pulls now (as an app coming back into focus does). */
    async later(until: (events: ReplicaEvent[]) => boolean) {
      clock += INTERVAL
      focusManager.setFocused(false)
      focusManager.setFocused(true)
      await waitUntil(() => until(events))
    },
    held: () => replica.selectors.note.selectAll(store.getState()).map((row) => ({ ...row })).sort((a, b) => a.id - b.id),
    async subscribe(filter: Record<string, number | number[]>) {
      const scope = { collection: 'note', filter }
      store.dispatch(replica.actions.subscribe(scope))
      await waitFor(store, (s) => replica.selectors.selectSubscription(s, scope).status === 'synced')
    },
  }
}

async function waitUntil(predicate: () => boolean, ms = 20_000) {
  const started = Date.now()
  while (!predicate()) {
    if (Date.now() - started > ms) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const P1 = 'note:{"project_id":1}'

describe('digest check against the reference server', () => {
  it('a matching digest triggers no repair: one digest request, no pull from the start', async () => {
    const server = await setup()
    const http = instrumented(httpTransport({ url: server.url }))
    const c = client(http.transport)
    await c.subscribe({ project_id: 1 })
    // The first sync pulled the whole scope: it counts as a check.
    expect(http.counts).toEqual({ pulls: 2, fromStart: 1, digests: 0 })

    await c.later((e) => e.some((x) => x.type === 'digestChecked'))
    expect(c.of('digestChecked')).toEqual([
      { type: 'digestChecked', key: P1, match: true, round: 1, local: expect.objectContaining({ count: 300 }), remote: expect.objectContaining({ count: 300 }) },
    ])
    expect(http.counts).toEqual({ pulls: 3, fromStart: 1, digests: 1 })
    expect(c.of('digestRepaired')).toEqual([])
    expect(c.replica.selectors.selectSubscription(c.store.getState(), { collection: 'note', filter: { project_id: 1 } }).repairs).toBeUndefined()

    // Within the interval no check is due.
    const before = http.counts.digests
    c.store.dispatch(c.replica.actions.unsubscribe({ collection: 'note', filter: { project_id: 1 } }))
    await c.subscribe({ project_id: 1 })
    expect(http.counts.digests).toBe(before)
  })

  it('a row deleted behind the stream\'s back (log entry erased too) is found and removed', async () => {
    const server = await setup()
    const c = client(httpTransport({ url: server.url }))
    await c.subscribe({ project_id: 1 })
    const victim = server.serverRows('project_id = 1')[10]!.id as number
    server.db.prepare('DELETE FROM notes WHERE id = ?').run(victim)
    server.db.prepare('DELETE FROM notes__replica_log WHERE id = ?').run(victim)

    await c.later((e) => e.some((x) => x.type === 'digestRepaired'))
    expect(c.of('digestChecked').map(({ match, round }) => ({ match, round }))).toEqual([{ match: false, round: 1 }])
    expect(c.of('digestRepaired')).toEqual([{ type: 'digestRepaired', key: P1, upserted: 0, removed: 1 }])
    // The counter an app alerts on.
    expect(c.replica.selectors.selectSubscription(c.store.getState(), { collection: 'note', filter: { project_id: 1 } }).repairs).toEqual({
      count: 1,
      upserted: 0,
      removed: 1,
      lastAt: expect.any(String),
    })
    expect(c.of('pullStarted').map((e) => e.trigger)).toEqual(['subscribe', 'focus', 'digest', 'repair'])
    expect(c.replica.selectors.note.selectById(c.store.getState(), victim)).toBeUndefined()
    expect(c.held()).toEqual(server.serverRows('project_id = 1'))

    // Repaired for good: the next check matches.
    await c.later((e) => e.filter((x) => x.type === 'digestChecked').length === 2)
    expect(c.of('digestChecked').at(-1)).toMatchObject({ match: true })
  })

  it('a row inserted behind the stream\'s back with a version below the cursor is found and added', async () => {
    const server = await setup()
    const c = client(httpTransport({ url: server.url }))
    await c.subscribe({ project_id: 1 })
    // A row restored from a backup: an old version, long passed by every cursor.
    server.behindTheBack(() =>
      server.db.prepare(`INSERT INTO notes (id, project_id, contact_id, body, created_at, updated_at, _version, _deleted)
        VALUES (77777, 1, 1, 'restored', '2015-01-01T00:00:00.000000Z', '2015-01-01T00:00:00.000000Z', 3, 0)`).run(),
    )
    await c.later((e) => e.some((x) => x.type === 'digestRepaired'))
    expect(c.of('digestRepaired')).toEqual([{ type: 'digestRepaired', key: P1, upserted: 1, removed: 0 }])
    expect(c.replica.selectors.note.selectById(c.store.getState(), 77777)).toMatchObject({ body: 'restored', _version: 3 })
    expect(c.held()).toEqual(server.serverRows('project_id = 1'))
  })

  it('a row whose version went back (a server restored from a backup) is replaced by the server\'s', async () => {
    const server = await setup()
    const c = client(httpTransport({ url: server.url }))
    await c.subscribe({ project_id: 1 })
    const id = server.serverRows('project_id = 1')[5]!.id as number
    await server.writer.update('note', id, { body: 'edited, then lost' })
    await c.later((e) => e.some((x) => x.type === 'digestChecked'))
    expect(c.replica.selectors.note.selectById(c.store.getState(), id)?.body).toBe('edited, then lost')
    // The backup had the row as it was, at an older version.
    server.behindTheBack(() => server.db.prepare(`UPDATE notes SET body = 'as in the backup', _version = 4 WHERE id = ?`).run(id))
    await c.later((e) => e.some((x) => x.type === 'digestRepaired'))
    expect(c.replica.selectors.note.selectById(c.store.getState(), id)).toMatchObject({ body: 'as in the backup', _version: 4 })
    expect(c.held()).toEqual(server.serverRows('project_id = 1'))
  })

  it('a difference caused only by a concurrent write is resolved by the next catch-up, without a repair', async () => {
    const server = await setup()
    const http = instrumented(httpTransport({ url: server.url }))
    const c = client(http.transport)
    await c.subscribe({ project_id: 1 })
    const [edited, moved] = server.serverRows('project_id = 1').map((row) => row.id as number)
    // Between the catch-up and the digest request, the server changes one row and moves another out.
    http.beforeDigest(async () => {
      await server.writer.update('note', edited!, { body: 'written meanwhile' })
      await server.writer.update('note', moved!, { project_id: 2 })
    })
    await c.later((e) => e.filter((x) => x.type === 'digestChecked').length === 2)
    expect(c.of('digestChecked').map(({ match, round }) => ({ match, round }))).toEqual([{ match: false, round: 1 }, { match: true, round: 2 }])
    expect(c.of('digestRepaired')).toEqual([])
    expect(http.counts.fromStart).toBe(1)
    expect(c.of('pullStarted').map((e) => e.trigger)).toEqual(['subscribe', 'focus', 'digest'])
    expect(c.replica.selectors.note.selectById(c.store.getState(), edited!)?.body).toBe('written meanwhile')
    expect(c.replica.selectors.note.selectById(c.store.getState(), moved!)).toBeUndefined()
    expect(c.held()).toEqual(server.serverRows('project_id = 1'))
  })

  it('overlapping subscriptions: a repair of one does not remove rows the other holds', async () => {
    const server = await setup()
    const c = client(httpTransport({ url: server.url }))
    await c.subscribe({ project_id: 1 })
    const rows = server.serverRows('project_id = 1')
    const shared = rows[3]!
    const contact = shared.contact_id as number
    const byContact = `note:{"contact_id":${contact}}`
    await c.subscribe({ contact_id: contact })
    // Behind the back: the shared row leaves project 1 (its move-out erased from the log), and a
    // row only project 1 holds is deleted.
    const onlyP1 = rows.find((r) => r.contact_id !== contact)!.id as number
    server.db.prepare('UPDATE notes SET project_id = 2 WHERE id = ?').run(shared.id)
    server.db.prepare('DELETE FROM notes WHERE id = ?').run(onlyP1)
    server.db.prepare('DELETE FROM notes__replica_log WHERE id IN (?, ?)').run(shared.id, onlyP1)

    await c.later((e) => c.of('digestRepaired', P1).length === 1 && c.of('digestChecked', byContact).some((x) => x.match))
    expect(c.of('digestRepaired', P1)).toEqual([{ type: 'digestRepaired', key: P1, upserted: 0, removed: 1 }])
    // The contact's subscription still holds the shared row; its own stream brought the new version.
    expect(c.replica.selectors.note.selectById(c.store.getState(), shared.id as number)).toMatchObject({ project_id: 2 })
    expect(c.replica.selectors.note.selectById(c.store.getState(), onlyP1)).toBeUndefined()
    expect(c.of('digestRepaired', byContact)).toEqual([])
    expect(c.held()).toEqual(server.serverRows(`(project_id = 1 OR contact_id = ${contact})`))

    // Project 1's next check matches: it no longer counts the row it gave up.
    c.store.dispatch(c.replica.actions.unsubscribe({ collection: 'note', filter: { contact_id: contact } }))
    await c.later(() => c.of('digestChecked', P1).length === 2)
    expect(c.of('digestChecked', P1).at(-1)).toMatchObject({ match: true })
  })

  it('a repair cut short by a crash leaves the old cursor and a consistent store; the next start repairs', async () => {
    const server = await setup(1200)
    const persistence = memoryPersistence()
    const inner = httpTransport({ url: server.url })
    let cut: (() => void) | undefined
    let repairPages = 0
    const transport: Transport = {
      async pull(request) {
        // The repair starts from the beginning; after its second page, the app dies.
        if (cut && (repairPages > 0 || request.checkpoint === null)) {
          if (++repairPages === 3) {
            cut()
            await new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)))
          }
        }
        return inner.pull(request)
      },
      digest: (request) => inner.digest!(request),
    }
    const first = client(transport, { persistence, pageSize: 100 })
    await first.subscribe({ project_id: 1 })
    await first.store.replica.flush()
    const victim = server.serverRows('project_id = 1').at(-1)!.id as number
    server.db.prepare('DELETE FROM notes WHERE id = ?').run(victim)
    server.db.prepare('DELETE FROM notes__replica_log WHERE id = ?').run(victim)
    let crashed = false
    cut = () => (crashed = true)
    await first.later(() => crashed)
    // Two pages of the repair are applied; saved now, then the app dies mid-repair.
    await first.store.replica.flush()
    expect(first.of('digestRepaired')).toEqual([])
    expect(first.replica.selectors.note.selectById(first.store.getState(), victim)).toBeDefined()
    await first.close()

    cut = undefined
    const http = instrumented(httpTransport({ url: server.url }))
    const second = client(http.transport, { persistence })
    await second.store.replica.whenHydrated()
    expect(second.replica.selectors.note.selectTotal(second.store.getState())).toBe(600)
    // The stored cursor is the old one: the catch-up goes on from it and brings nothing.
    await second.subscribe({ project_id: 1 })
    expect(http.counts).toEqual({ pulls: 1, fromStart: 0, digests: 0 })
    expect(second.of('digestRepaired')).toEqual([])
    // The next check finds the difference again and the repair starts over.
    await second.later((e) => e.some((x) => x.type === 'digestRepaired'))
    expect(second.of('digestRepaired')).toEqual([{ type: 'digestRepaired', key: P1, upserted: 0, removed: 1 }])
    expect(second.held()).toEqual(server.serverRows('project_id = 1'))
  })

  it('a failing digest request leaves the subscription synced and waits for the next interval; no digest, no check', async () => {
    const server = await setup()
    const inner = httpTransport({ url: server.url })
    let digests = 0
    const failing: Transport = {
      pull: (request) => inner.pull(request),
      async digest() {
        digests++
        throw new ReplicaError('internal', '500: boom', { status: 500 })
      },
    }
    const c = client(failing)
    await c.subscribe({ project_id: 1 })
    await c.later((e) => e.some((x) => x.type === 'digestFailed'))
    expect(c.of('digestFailed')).toEqual([{ type: 'digestFailed', key: P1, error: expect.objectContaining({ code: 'internal' }) }])
    expect(c.replica.selectors.selectSubscription(c.store.getState(), { collection: 'note', filter: { project_id: 1 } }).status).toBe('synced')
    expect(digests).toBe(1)

    // A transport without digest (the 2015 endpoint's) skips the check.
    const plain = client({ pull: (request) => inner.pull(request) })
    await plain.subscribe({ project_id: 1 })
    await plain.later((e) => e.filter((x) => x.type === 'synced').length === 2)
    expect(plain.events.filter((e) => e.type.startsWith('digest'))).toEqual([])
  })
})

describe('the digest covers every version the client can hold', () => {
  it('a row a push answer stored above a quiet subscription\'s cursor, then lost by the server, is found and removed within one interval', async () => {
    const server = await setup()
    const url = server.url
    const inner = httpPushTransport({ url })
    let lose: number | undefined
    // The push is applied, and before its answer arrives the server loses the row without a trace
    // (row and log entry): no pull can ever pass a version of it.
    const push: PushTransport = {
      async push(request) {
        const answer = await inner.push(request)
        if (lose !== undefined) server.db.transaction(() => {
          server.db.prepare('DELETE FROM notes WHERE id = ?').run(lose)
          server.db.prepare('DELETE FROM notes__replica_log WHERE id = ?').run(lose)
        })()
        return answer
      },
    }
    const c = client(httpTransport({ url }), { push })
    await c.subscribe({ project_id: 1 })
    const id = server.serverRows('project_id = 1')[7]!.id as number
    lose = id
    c.store.dispatch(c.replica.actions.save({ collection: 'note', row: { id, body: 'edited, then lost' } }))
    await waitFor(c.store, (s) => c.replica.selectors.selectPendingWrites(s) === 0 && c.replica.selectors.selectWrites(s).status === 'idle')
    // The answer's version is above the subscription's cursor, and nothing else happens in its
    // scope, so the cursor never passes it.
    const held = c.replica.selectors.note.selectById(c.store.getState(), id)
    expect(held).toMatchObject({ body: 'edited, then lost' })
    expect(server.serverRows(`id = ${id}`)).toEqual([])

    await c.later((e) => e.some((x) => x.type === 'digestChecked'))
    expect(c.of('digestChecked')[0]).toMatchObject({ key: P1, match: false, round: 1 })
    await waitUntil(() => c.of('digestRepaired').length > 0)
    expect(c.of('digestRepaired')).toEqual([{ type: 'digestRepaired', key: P1, upserted: 0, removed: 1 }])
    expect(c.replica.selectors.note.selectById(c.store.getState(), id)).toBeUndefined()
    expect(c.held()).toEqual(server.serverRows('project_id = 1'))
  })
})
