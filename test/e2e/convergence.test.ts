import { afterEach, describe, expect, it } from 'vitest'
import { createFocusManager, createOnlineManager, createReplica, httpPushTransport, httpTransport, memoryPersistence, ReplicaError } from '../../src'
import type { PushTransport, ReplicaEvent, Transport } from '../../src'
import { makeStore, waitFor } from '../fixtures/store'
import { serve } from '../server/helpers'
import { todoServer } from '../writes/serverFixture'
import type { Todo } from '../writes/harness'

// What a subscription shows is exactly what the server has in its scope, whatever the order in
// which streams, unsubscribes and push answers arrive. The client runs against the reference
// server (SQLite) over loopback; the server changes rows with plain SQL (its triggers log them).

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function setup() {
  const backend = todoServer()
  await backend.handler.ready()
  const http = await serve(backend.handler)
  cleanups.push(() => {
    backend.db.close()
  })
  cleanups.push(() => http.close())
  const insert = (id: string, list: number, title = id) =>
    backend.db.prepare('INSERT INTO todos (id, list_id, title) VALUES (?, ?, ?)').run(id, list, title)
  const serverIds = (lists: number[]) =>
    (backend.db.prepare(`SELECT id FROM todos WHERE _deleted = 0 AND list_id IN (${lists.join(',')}) ORDER BY id`).pluck().all() as string[])
  return { ...backend, url: `${http.base}/replica`, insert, serverIds }
}

function client(url: string, push: PushTransport = httpPushTransport({ url }), transport: Transport = httpTransport({ url })) {
  const events: ReplicaEvent[] = []
  const focusManager = createFocusManager({ setEventListener: () => undefined })
  const replica = createReplica({
    collections: { todo: {} },
    transport,
    push,
    persistence: memoryPersistence(),
    onlineManager: createOnlineManager({ setEventListener: () => undefined, initiallyOnline: true }),
    focusManager,
    pollingInterval: 0,
    onEvent: (event) => events.push(event),
  })
  const store = makeStore(replica)
  cleanups.push(() => store.replica.close())
  const scope = (lists: number[]) => ({ collection: 'todo', filter: { list_id: lists.length === 1 ? lists[0]! : lists } })
  return {
    replica,
    store,
    events,
    todo: (id: string) => replica.selectors.todo.selectById(store.getState(), id) as Todo | undefined,
    /** The ids a subscription's view shows. */
    shown: (lists: number[]) =>
      replica.selectors.todo.selectWhere(store.getState(), scope(lists).filter).map((row) => String(row.id)).sort(),
    async subscribe(lists: number[]) {
      store.dispatch(replica.actions.subscribe(scope(lists)))
      await waitFor(store, (s) => replica.selectors.selectSubscription(s, scope(lists)).status === 'synced')
    },
    unsubscribe: (lists: number[]) => store.dispatch(replica.actions.unsubscribe(scope(lists))),
    /** Pulls now (as an app coming back into focus does) and waits until the pull brought something. */
    async pullNow() {
      const before = events.filter((e) => e.type === 'pageApplied').length
      focusManager.setFocused(false)
      focusManager.setFocused(true)
      await waitUntil(() => events.filter((e) => e.type === 'pageApplied').length > before)
    },
    settled: () =>
      waitFor(store, (s) => replica.selectors.selectPendingWrites(s) === 0 && replica.selectors.selectWrites(s).status === 'idle', 10_000),
  }
}

async function waitUntil(predicate: () => boolean, ms = 10_000) {
  const started = Date.now()
  while (!predicate()) {
    if (Date.now() - started > ms) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('a subscription shows exactly what its stream vouches for', () => {
  it('a row deleted on the server while its only subscription was unsubscribed leaves when a wider subscription syncs', async () => {
    const server = await setup()
    server.insert('a', 1)
    server.insert('b', 1)
    server.insert('c', 2)
    const c = client(server.url)
    await c.subscribe([1])
    expect(c.shown([1])).toEqual(['a', 'b'])
    c.unsubscribe([1])
    server.db.prepare("DELETE FROM todos WHERE id = 'a'").run()

    await c.subscribe([1, 2])
    expect(c.shown([1, 2])).toEqual(server.serverIds([1, 2]))
    expect(c.shown([1, 2])).toEqual(['b', 'c'])
  })

  it('a row written locally outside every subscription, then deleted on the server, leaves when a subscription covering it syncs', async () => {
    const server = await setup()
    server.insert('b', 1)
    const c = client(server.url)
    await c.subscribe([1])
    c.store.dispatch(c.replica.actions.save({ collection: 'todo', row: { id: 'x', list_id: 2, title: 'mine' } }))
    await c.settled()
    expect(server.row('x')).toMatchObject({ list_id: 2, _deleted: 0 })
    server.db.prepare("DELETE FROM todos WHERE id = 'x'").run()

    await c.subscribe([1, 2])
    expect(c.shown([1, 2])).toEqual(server.serverIds([1, 2]))
    expect(c.todo('x')).toBeUndefined()
  })
  it('a row the server lost without a tombstone leaves when a subscription pulling from the beginning catches up', async () => {
    const server = await setup()
    server.insert('a', 1)
    server.insert('b', 1)
    const c = client(server.url)
    await c.subscribe([1])
    c.unsubscribe([1])
    // Gone without a trace in the stream: the row and its log entry (a server restored from a backup).
    server.db.prepare("DELETE FROM todos WHERE id = 'a'").run()
    server.db.prepare("DELETE FROM todos__replica_log WHERE id = 'a'").run()

    await c.subscribe([1, 2])
    expect(c.shown([1, 2])).toEqual(['b'])
    // The old subscription's rows were swept with it: it starts over when it runs again.
    await c.subscribe([1])
    expect(c.shown([1])).toEqual(['b'])
  })

  it('the sweep keeps a row with pending writes', async () => {
    const server = await setup()
    server.insert('a', 1)
    server.insert('b', 1)
    const c = client(server.url)
    await c.subscribe([1])
    c.store.dispatch(c.replica.actions.save({ collection: 'todo', row: { id: 'local', list_id: 2, title: 'not sent yet' } }))
    c.unsubscribe([1])
    server.db.prepare("DELETE FROM todos WHERE id = 'a'").run()
    server.db.prepare("DELETE FROM todos__replica_log WHERE id = 'a'").run()
    await c.subscribe([2])
    expect(c.shown([2])).toEqual(['local'])
    await c.settled()
    expect(c.shown([2])).toEqual(server.serverIds([2]))
  })
  it('a row kept past a move-out by another running stream leaves once that stream stops without bringing the move', async () => {
    const server = await setup()
    server.insert('m', 1)
    server.insert('b', 1)
    const url = server.url
    const inner = httpTransport({ url })
    // The narrow subscription's pulls can be held up until it stops (its request is aborted).
    let holdNarrow = false
    const c = client(url, httpPushTransport({ url }), {
      async pull(request) {
        if (holdNarrow && JSON.stringify(request.filter) === '{"list_id":1}') {
          await new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)))
        }
        return inner.pull(request)
      },
    })
    await c.subscribe([1])
    await c.subscribe([1, 2])
    holdNarrow = true
    // `m` leaves both filters. The wide stream passes its move-out while the narrow one, still
    // running, holds `m`; then the narrow one stops without having pulled.
    server.db.prepare("UPDATE todos SET list_id = 3 WHERE id = 'm'").run()
    await c.pullNow()
    expect(c.shown([1, 2])).toEqual(['b', 'm'])
    c.unsubscribe([1])

    await c.pullNow()
    expect(c.shown([1, 2])).toEqual(server.serverIds([1, 2]))
    expect(c.events.filter((e) => e.type.startsWith('digest'))).toEqual([])
  })
})

describe('a version the stream delivered is never overwritten by an older one', () => {
  it('a late push answer does not bring back a row the stream has since deleted', async () => {
    const server = await setup()
    server.insert('b', 1)
    const url = server.url
    const inner = httpPushTransport({ url })
    let calls = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    // The first push reaches the server, but its answer is lost; the resend waits for the gate.
    const push: PushTransport = {
      async push(request) {
        calls++
        if (calls === 1) {
          await inner.push(request)
          throw new ReplicaError('http', 'Service unavailable (answer lost)', { status: 503 })
        }
        await gate
        return inner.push(request)
      },
    }
    const c = client(url, push)
    await c.subscribe([1])
    c.store.dispatch(c.replica.actions.save({ collection: 'todo', row: { id: 'x', list_id: 1, title: 'mine' } }))
    await waitUntil(() => calls >= 1 && server.row('x') !== undefined)
    // The server deletes the row; the stream passes its tombstone while the write is still pending.
    server.db.prepare("DELETE FROM todos WHERE id = 'x'").run()
    await c.pullNow()

    // The resend is answered from the server's record: applied, with the row at its old version.
    release()
    await c.settled()
    expect(server.mutationCount()).toBe(1)
    expect(c.todo('x')).toBeUndefined()
    expect(c.shown([1])).toEqual(server.serverIds([1]))
  })
})
