import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { collection, httpPushTransport } from '../../src'
import type { PushTransport } from '../../src'
import { waitFor } from '../fixtures/store'
import { fileClient } from './fileClient'
import { todoServerOverHttp } from './serverFixture'
import type { Todo } from './harness'

// Eviction never takes a row with pending local writes (docs/eviction.md); the row goes once its
// writes are answered, if nobody has taken it up. Reference server over HTTP, file databases.
const served = todoServerOverHttp()
const { tmp } = served

const LIST1 = { collection: 'todo', filter: { list_id: 1 } }

/**
 * A client with `keepUnusedDataFor: 0` whose pushes wait until `releasePushes()` (as on a server
 * slow to answer), then go over HTTP.
 */
function client(file: string) {
  const url = `${served.http.base}/replica`
  const overHttp = httpPushTransport({ url })
  let release = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  const push: PushTransport = {
    // A push given up (the store closing) stops waiting, as a request would.
    push: (request) => Promise.race([
      released.then(() => overHttp.push(request)),
      new Promise<never>((_, reject) => request.signal?.addEventListener('abort', () => reject(request.signal!.reason), { once: true })),
    ]),
  }
  const c = fileClient({ url, file, online: true, collections: { todo: collection<Todo>() }, keepUnusedDataFor: 0, push })
  const titles = () => c.replica.selectors.todo.selectAll(c.store.getState()).map((t) => t.title).sort()
  const subscriptions = () => Object.keys(c.store.getState().replica.subscriptions)
  return { ...c, titles, subscriptions, releasePushes: () => release() }
}

/** Three todos of list 1 on the server, written by another client; their ids. */
async function seed(name: string): Promise<string[]> {
  const writer = client(path.join(tmp.dir, `${name}-writer.db`))
  writer.releasePushes()
  await writer.store.replica.whenHydrated()
  const ids = [0, 1, 2].map(() => crypto.randomUUID())
  for (const [i, id] of ids.entries()) writer.store.dispatch(writer.replica.actions.save({ collection: 'todo', row: { id, list_id: 1, title: `${name} ${i}` } }))
  await writer.settled()
  await writer.store.replica.close()
  return ids
}

/** A client holding list 1 (synced), and the subscriber id to release it with. */
async function holdingList1(file: string) {
  const app = client(file)
  const { meta } = app.store.dispatch(app.replica.actions.subscribe(LIST1))
  await waitFor(app.store, (s) => app.replica.selectors.selectSubscription(s, LIST1).status === 'synced')
  return { app, subscriberId: meta.subscriberId }
}

describe('eviction and pending writes', () => {
  it('keeps a row written as its scope became due for eviction, also across a restart; the answered row then stays', async () => {
    const ids = await seed('restart')
    const file = path.join(tmp.dir, 'restart.db')
    const { app, subscriberId } = await holdingList1(file)
    const { store, replica } = app
    // Written in the same tick as the last subscriber leaves: the eviction is due, the write pending.
    store.dispatch(replica.actions.unsubscribe(LIST1, subscriberId))
    store.dispatch(replica.actions.save({ collection: 'todo', key: ids[1]!, patch: { title: 'edited while leaving' } }))
    await waitFor(store, () => app.subscriptions().length === 0)
    expect(app.titles()).toEqual(['edited while leaving'])
    await store.replica.close()

    const second = client(file)
    await second.store.replica.whenHydrated()
    expect(second.titles()).toEqual(['edited while leaving'])
    expect(second.replica.selectors.selectPendingWrites(second.store.getState())).toBe(1)
    second.releasePushes()
    await second.settled()
    expect(served.backend.row(ids[1]!)).toMatchObject({ title: 'edited while leaving' })
    // What the earlier run kept the row for is not known after a restart: the answered row stays.
    expect(second.titles()).toEqual(['edited while leaving'])
    await second.store.replica.close()
  })

  it('in the same run, the row kept for its write goes once the write is answered', async () => {
    const ids = await seed('same-run')
    const { app, subscriberId } = await holdingList1(path.join(tmp.dir, 'same-run.db'))
    const { store, replica } = app
    store.dispatch(replica.actions.save({ collection: 'todo', key: ids[0]!, patch: { title: 'edited' } }))
    store.dispatch(replica.actions.unsubscribe(LIST1, subscriberId))
    await waitFor(store, () => app.subscriptions().length === 0)
    expect(app.titles()).toEqual(['edited'])
    const evicted = app.store.getState()

    app.releasePushes()
    await waitFor(store, (s) => replica.selectors.todo.selectTotal(s) === 0)
    expect(served.backend.row(ids[0]!)).toMatchObject({ title: 'edited' })
    expect(replica.selectors.selectPendingWrites(evicted)).toBe(1)
    await store.replica.close()
  })
})
