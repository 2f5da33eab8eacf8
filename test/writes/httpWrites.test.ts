import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { waitFor } from '../fixtures/store'
import { fileClient } from './fileClient'
import { todoServerOverHttp } from './serverFixture'
import type { Todo } from './harness'

// The client against the reference server over real HTTP on loopback, with a file database.
const served = todoServerOverHttp()
const { tmp } = served

function client(file: string, online: boolean) {
  const c = fileClient({ url: `${served.http.base}/replica`, file, online, collections: { todo: {} } })
  return { ...c, todo: (id: string) => c.replica.selectors.todo.selectById(c.store.getState(), id) as Todo | undefined }
}

describe('writes over HTTP to the reference server', () => {
  it('offline writes survive a restart from the file, reach the server in order when online, and other clients pull them', async () => {
    const file = path.join(tmp.dir, 'client.db')
    const first = client(file, false)
    await first.store.replica.whenHydrated()
    const a = crypto.randomUUID()
    const b = crypto.randomUUID()
    first.store.dispatch(first.replica.actions.save({ collection: 'todo', row: { id: a, list_id: 1, title: 'write the docs' } }))
    first.store.dispatch(first.replica.actions.save({ collection: 'todo', row: { id: b, list_id: 1, title: 'delete me' } }))
    first.store.dispatch(first.replica.actions.save({ collection: 'todo', key: a, patch: { title: 'write the docs, now' } }))
    expect(first.todo(a)!.title).toBe('write the docs, now')
    await first.store.replica.close() // the app quits while offline

    const second = client(file, true)
    await second.store.replica.whenHydrated()
    expect(second.replica.selectors.selectPendingWrites(second.store.getState())).toBe(2)
    await second.settled()
    const rowA = served.backend.row(a)!
    expect(rowA).toMatchObject({ title: 'write the docs, now', _deleted: 0 })
    expect(second.todo(a)).toMatchObject({ id: a, title: 'write the docs, now', _version: rowA._version })
    second.store.dispatch(second.replica.actions.remove({ collection: 'todo', key: b }))
    await second.settled()
    expect(served.backend.row(b)).toMatchObject({ _deleted: 1 })
    expect(served.backend.mutationCount()).toBe(3)

    // Another client pulls what this one wrote.
    const other = client(path.join(tmp.dir, 'other.db'), true)
    other.store.dispatch(other.replica.actions.subscribe({ collection: 'todo', filter: { list_id: 1 } }))
    await waitFor(other.store, (s) => other.replica.selectors.selectSubscription(s, { collection: 'todo', filter: { list_id: 1 } }).status === 'synced')
    expect(other.todo(a)).toEqual(second.todo(a))
    expect(other.todo(b)).toBeUndefined()
    // And this one's own pull of its writes changes nothing (same versions).
    second.store.dispatch(second.replica.actions.subscribe({ collection: 'todo', filter: { list_id: 1 } }))
    await waitFor(second.store, (s) => second.replica.selectors.selectSubscription(s, { collection: 'todo', filter: { list_id: 1 } }).status === 'synced')
    expect(second.todo(a)).toEqual(other.todo(a))
    await Promise.all([second.store.replica.close(), other.store.replica.close()])
  })
})
