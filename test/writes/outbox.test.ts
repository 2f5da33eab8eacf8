import { describe, expect, it } from 'vitest'
import { memoryPersistence } from '../../src'
import { mswForWrites, writeBackend, writeClient } from './harness'

const server = mswForWrites()

describe('local writes', () => {
  it('an offline write lands in Redux and the local database at once, survives a reload, and reaches the server when back online', async () => {
    const backend = writeBackend(server)
    const persistence = memoryPersistence()
    const first = writeClient(backend, { persistence, online: false })
    await first.store.replica.whenHydrated()
    const id = crypto.randomUUID()
    first.save({ id, list_id: 1, title: 'buy milk' })
    // At once, in the same dispatch: Redux shows it, the outbox holds it.
    expect(first.todo(id)).toEqual({ id, list_id: 1, title: 'buy milk' })
    expect(first.pending()).toBe(1)
    expect(first.replica.selectors.selectIsPending(first.store.getState(), 'todo', id)).toBe(true)
    expect(first.replica.selectors.selectPendingWrites(first.store.getState(), 'todo')).toBe(1)
    await first.close()
    expect(backend.pushes).toHaveLength(0)
    expect(backend.row(id)).toBeUndefined()

    // A reload, still offline: the write is there, still pending.
    const second = writeClient(backend, { persistence, online: false })
    await second.store.replica.whenHydrated()
    expect(second.todo(id)).toEqual({ id, list_id: 1, title: 'buy milk' })
    expect(second.pending()).toBe(1)

    second.onlineManager.setOnline(true)
    await second.settled()
    const canonical = await backend.serverRow(id)
    expect(canonical).toMatchObject({ id, list_id: 1, title: 'buy milk', done: 0 })
    expect(canonical!._version).toEqual(expect.any(Number))
    // Redux ends with the server's canonical row, its new _version included.
    expect(second.todo(id)).toEqual(canonical)
    expect(backend.pushes).toHaveLength(1)
    await second.close()

    // And the local database holds the canonical row, with nothing left to push.
    const third = writeClient(backend, { persistence, online: false })
    await third.store.replica.whenHydrated()
    expect(third.todo(id)).toEqual(canonical)
    expect(third.pending()).toBe(0)
    await third.close()
  })

  it('a write dispatched before the database opened survives a close() that comes first, and reaches the server next start', async () => {
    const backend = writeBackend(server)
    const persistence = memoryPersistence()
    const first = writeClient(backend, { persistence, online: false })
    const id = crypto.randomUUID()
    // Before hydration (the store opens asynchronously), then closed at once.
    first.save({ id, list_id: 1, title: 'written at start' })
    await first.close()

    const second = writeClient(backend, { persistence, online: false })
    await second.store.replica.whenHydrated()
    expect(second.todo(id)).toEqual({ id, list_id: 1, title: 'written at start' })
    expect(second.pending()).toBe(1)
    second.onlineManager.setOnline(true)
    await second.settled()
    expect(await backend.serverRow(id)).toMatchObject({ id, title: 'written at start' })
    await second.close()
  })

  it('bad input: a typed error in state, nothing written', async () => {
    const backend = writeBackend(server)
    const client = writeClient(backend, { online: false })
    await client.store.replica.whenHydrated()
    const { actions } = client.replica
    client.store.dispatch(actions.save({ collection: 'nope', row: { id: 'x' } }))
    client.store.dispatch(actions.save({ collection: 'todo', row: { title: 'no key' } }))
    client.store.dispatch(actions.save({ collection: 'todo', row: { id: 'y', title: 'x', at: new Date() as never } }))
    client.store.dispatch(actions.save({ collection: 'todo', row: { id: 'z', n: Number.NaN } }))
    client.store.dispatch(actions.save({ collection: 'todo', row: JSON.parse('{"id":"p","__proto__":{"admin":true}}') }))
    client.store.dispatch(actions.save({ collection: 'todo', key: 'missing', patch: { title: 'x' } }))
    client.store.dispatch(actions.remove({ collection: 'todo', key: { id: 1 } as never }))
    const rejected = client.replica.selectors.selectRejectedWrites(client.store.getState())
    expect(rejected.map((r) => r.error.code)).toEqual(['unknown_collection', 'bad_write', 'bad_write', 'bad_write', 'bad_write', 'not_found', 'bad_write'])
    expect(rejected[2]!.error.message).toContain('row.at is Date')
    expect(client.pending()).toBe(0)
    expect(client.replica.selectors.todo.selectTotal(client.store.getState())).toBe(0)
    client.store.dispatch(actions.dismissRejectedWrite({}))
    expect(client.replica.selectors.selectRejectedWrites(client.store.getState())).toEqual([])
    await client.close()
  })
})

describe('exactly once in effect', () => {
  it('the answer is lost after the server applied the push: the resend is not applied again', async () => {
    const backend = writeBackend(server)
    const client = writeClient(backend)
    await client.store.replica.whenHydrated()
    backend.failNext('drop-answer')
    const id = crypto.randomUUID()
    client.save({ id, list_id: 1, title: 'once' })
    await client.settled()
    expect(backend.pushes).toHaveLength(2)
    expect(backend.pushes[1]![0]!.id).toBe(backend.pushes[0]![0]!.id) // the same mutation id, resent
    expect(backend.mutationCount()).toBe(1)
    const canonical = await backend.serverRow(id)
    expect(backend.clock()).toBe(canonical!._version) // one write took one version, once
    expect(client.todo(id)).toEqual(canonical)
    await client.close()
  })

  it('the client dies after sending: the next start resends the same id, and the server answers from its record', async () => {
    const backend = writeBackend(server)
    const persistence = memoryPersistence()
    const first = writeClient(backend, { persistence })
    await first.store.replica.whenHydrated()
    let sent!: () => void
    const arrived = new Promise<void>((resolve) => (sent = resolve))
    // The server applies the push, then the client is gone before the answer arrives.
    backend.failNext(() => {
      sent()
      return 'drop-answer'
    })
    const id = crypto.randomUUID()
    first.save({ id, list_id: 1, title: 'before the crash' })
    await first.store.replica.flush()
    await arrived
    await first.close()
    expect(backend.row(id)).toMatchObject({ title: 'before the crash' })
    const version = backend.row(id)!._version

    const second = writeClient(backend, { persistence })
    await second.store.replica.whenHydrated()
    expect(second.pending()).toBe(1)
    await second.settled()
    expect(backend.pushes.at(-1)![0]!.id).toBe(backend.pushes[0]![0]!.id)
    expect(backend.row(id)!._version).toBe(version)
    expect(backend.mutationCount()).toBe(1)
    expect(second.todo(id)).toEqual(await backend.serverRow(id))
    await second.close()
  })
})
