import { describe, expect, it } from 'vitest'
import { clientHoldingRow, mswForWrites, until, writeBackend, writeClient } from './harness'
import type { WriteBackend } from './harness'

const server = mswForWrites()

const todos = { collection: 'todo', filter: {} }

/** A row on the server, and a client that has pulled it. */
async function synced(backend: WriteBackend, options: Parameters<typeof writeClient>[1] = {}) {
  const client = await clientHoldingRow(backend, options)
  expect(client.todo('r')).toMatchObject({ title: 'server v1' })
  return client
}

describe('order', () => {
  it('several writes to one key arrive in order, each based on the version the one before produced', async () => {
    const backend = writeBackend(server)
    const client = writeClient(backend)
    await client.store.replica.whenHydrated()
    // The first push is slow: the writes made meanwhile queue behind it (and fold into one).
    backend.failNext({ delay: 50 })
    client.save({ id: 'k', list_id: 1, title: 'one' })
    await until(() => backend.pushes.length === 1)
    client.save({ id: 'k', list_id: 1, title: 'two' })
    client.save({ id: 'k', list_id: 1, title: 'three' })
    client.save({ id: 'other', list_id: 1, title: 'x' })
    expect(client.pending()).toBe(3)
    expect(client.todo('k')!.title).toBe('three')
    await client.settled()
    const sent = backend.pushes.flat()
    expect(sent.map((m) => [m.key, m.row?.title])).toEqual([
      ['k', 'one'],
      ['k', 'three'],
      ['other', 'x'],
    ])
    expect(sent[0]!.baseVersion).toBeNull()
    // 'three' was based on the version 'one' produced, and produced the next one.
    const first = JSON.parse(backend.db.prepare('SELECT result FROM _replica_mutations WHERE id = ?').pluck().get(sent[0]!.id) as string)
    expect(sent[1]!.baseVersion).toBe(first.version)
    expect((await backend.serverRow('k'))!._version).toBe(first.version + 1)
    expect(client.todo('k')).toEqual(await backend.serverRow('k'))
    expect(client.todo('k')!.title).toBe('three')
    await client.close()
  })

  it('a row created and deleted offline never reaches the server; deleted after its create was sent, it is a tombstone there', async () => {
    const backend = writeBackend(server)
    const client = writeClient(backend, { online: false })
    await client.store.replica.whenHydrated()
    client.save({ id: 'temp', list_id: 1, title: 'draft' })
    client.remove('temp')
    expect(client.todo('temp')).toBeUndefined()
    expect(client.pending()).toBe(0)
    client.onlineManager.setOnline(true)
    await client.settled()
    expect(backend.pushes).toHaveLength(0)
    expect(backend.row('temp')).toBeUndefined()

    backend.failNext({ delay: 50 })
    client.save({ id: 'sent', list_id: 1, title: 'draft' })
    await until(() => backend.pushes.length === 1)
    client.remove('sent')
    expect(client.todo('sent')).toBeUndefined()
    await client.settled()
    expect(backend.pushes.flat().map((m) => m.op)).toEqual(['upsert', 'delete'])
    expect(backend.row('sent')).toMatchObject({ _deleted: 1 })
    expect(await backend.serverRow('sent')).toBeUndefined()
    expect(client.todo('sent')).toBeUndefined()
    await client.close()
  })
})

describe('conflicts', () => {
  it('the server changed the row since the base: the server wins by default, and the local row becomes the server\'s', async () => {
    const backend = writeBackend(server)
    const client = await synced(backend)
    client.onlineManager.setOnline(false)
    client.save({ id: 'r', list_id: 1, title: 'mine' })
    backend.db.prepare("UPDATE todos SET title = 'theirs' WHERE id = 'r'").run()
    client.onlineManager.setOnline(true)
    await client.settled()
    expect(backend.row('r')!.title).toBe('theirs')
    expect(client.todo('r')).toEqual(await backend.serverRow('r'))
    expect(client.writes().conflicts).toBe(1)
    await client.close()
  })

  it("with onConflict 'client' the local value wins on the server; a merged row is sent as it is", async () => {
    const backend = writeBackend(server)
    const seen: unknown[] = []
    const client = await synced(backend, {
      onConflict: (conflict) => {
        seen.push(conflict)
        return 'client'
      },
    })
    client.onlineManager.setOnline(false)
    client.save({ id: 'r', list_id: 1, title: 'mine' })
    backend.db.prepare("UPDATE todos SET title = 'theirs' WHERE id = 'r'").run()
    client.onlineManager.setOnline(true)
    await client.settled()
    expect(seen).toEqual([expect.objectContaining({ local: expect.objectContaining({ title: 'mine' }), server: expect.objectContaining({ title: 'theirs' }) })])
    expect(backend.row('r')!.title).toBe('mine')
    expect(client.todo('r')).toEqual(await backend.serverRow('r'))
    // Two mutations: the one that conflicted, and a new one (new id) based on the server's version.
    const [first, second] = backend.pushes.flat()
    expect(second!.id).not.toBe(first!.id)
    expect(second!.baseVersion).toBeGreaterThan(first!.baseVersion!)
    await client.close()

    const merging = writeBackend(server)
    const other = await synced(merging, { onConflict: ({ local, server }) => ({ ...server!, title: `${server!.title} + ${local!.title}` }) })
    other.onlineManager.setOnline(false)
    other.save({ id: 'r', list_id: 1, title: 'mine' })
    merging.db.prepare("UPDATE todos SET title = 'theirs' WHERE id = 'r'").run()
    other.onlineManager.setOnline(true)
    await other.settled()
    expect(merging.row('r')!.title).toBe('theirs + mine')
    expect(other.todo('r')!.title).toBe('theirs + mine')
    await other.close()
  })

  it('a pulled update of a row with a pending write does not replace the optimistic value; once the push resolves Redux shows the canonical row', async () => {
    const backend = writeBackend(server)
    const client = await synced(backend, { onConflict: () => 'client' })
    backend.setPushFault(() => ({ status: 503 }))
    client.save({ id: 'r', list_id: 1, title: 'mine' })
    await until(() => backend.pushes.length >= 1)
    backend.db.prepare("UPDATE todos SET title = 'theirs' WHERE id = 'r'").run()
    // A pull brings the server's new version while the write waits.
    client.focusManager.setFocused(false)
    client.focusManager.setFocused(true)
    await client.waitFor(() => client.replica.selectors.selectSubscription(client.store.getState(), todos).received >= 2)
    expect(client.todo('r')).toEqual({ id: 'r', list_id: 1, title: 'mine' })
    backend.setPushFault(undefined)
    client.focusManager.setFocused(false)
    client.focusManager.setFocused(true)
    await client.settled()
    const canonical = await backend.serverRow('r')
    expect(canonical!.title).toBe('mine')
    expect(client.todo('r')).toEqual(canonical)
    await client.close()
  })
})

describe('rejected writes', () => {
  it('a write outside the caller\'s scope is rolled back visibly with the error in state; the queue moves on', async () => {
    const backend = writeBackend(server)
    const client = await synced(backend, { token: 'l1' })
    client.onlineManager.setOnline(false)
    client.save({ id: 'r', list_id: 2, title: 'moved away' })
    client.save({ id: 'outside', list_id: 2, title: 'not mine' })
    client.save({ id: 'fine', list_id: 1, title: 'mine' })
    expect(client.todo('r')!.list_id).toBe(2)
    client.onlineManager.setOnline(true)
    await client.settled()
    // Rolled back to the last server state: the moved row returns, the new one goes.
    expect(client.todo('r')).toEqual(await backend.serverRow('r'))
    expect(client.todo('outside')).toBeUndefined()
    expect(client.todo('fine')).toEqual(await backend.serverRow('fine'))
    const rejected = client.replica.selectors.selectRejectedWrites(client.store.getState())
    expect(rejected.map((r) => [r.key, r.error.code])).toEqual([
      ['r', 'forbidden'],
      ['outside', 'forbidden'],
    ])
    expect(rejected[0]!.row).toMatchObject({ title: 'moved away' })
    await client.close()
  })

  it('a 400 for the whole request: the client finds the write it is about by sending one at a time, rejects it, and goes on', async () => {
    const backend = writeBackend(server)
    const client = writeClient(backend, { online: false })
    await client.store.replica.whenHydrated()
    backend.setPushFault((mutations) => (mutations.some((m) => m.row?.title === 'poison') ? { status: 400 } : undefined))
    client.save({ id: 'a', list_id: 1, title: 'poison' })
    client.save({ id: 'b', list_id: 1, title: 'fine' })
    client.onlineManager.setOnline(true)
    await client.settled()
    expect(client.todo('a')).toBeUndefined()
    expect(client.todo('b')).toEqual(await backend.serverRow('b'))
    expect(client.replica.selectors.selectRejectedWrites(client.store.getState())).toEqual([
      expect.objectContaining({ key: 'a', error: expect.objectContaining({ code: 'bad_request', message: expect.stringContaining('400') }) }),
    ])
    expect(backend.pushes.map((batch) => batch.map((m) => m.key))).toEqual([['a', 'b'], ['a'], ['b']])
    await client.close()
  })

  it('5xx and network failures are retried in order, never rejected', async () => {
    const backend = writeBackend(server)
    const client = writeClient(backend)
    await client.store.replica.whenHydrated()
    backend.failNext({ status: 503 }, { status: 500 }, 'network')
    client.save({ id: 'a', list_id: 1, title: 'eventually' })
    await client.settled()
    expect(backend.pushes).toHaveLength(4)
    expect(client.todo('a')).toEqual(await backend.serverRow('a'))
    expect(client.replica.selectors.selectRejectedWrites(client.store.getState())).toEqual([])
    await client.close()
  })
})
