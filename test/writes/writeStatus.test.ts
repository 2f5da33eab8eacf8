import { describe, expect, it } from 'vitest'
import { clientHoldingRow, mswForWrites, until, writeBackend } from './harness'
import type { WriteBackend } from './harness'

// selectWriteStatus follows one write by the id its action carries (`meta.writeId`), through the
// push, a conflict, a refusal or a cancellation. The reference server answers in process (msw).
const server = mswForWrites()

/** A client holding row 'r', and the status of a write of it by id. */
async function synced(backend: WriteBackend, options: Parameters<typeof clientHoldingRow>[1] = {}) {
  const client = await clientHoldingRow(backend, options)
  const status = (id: string) => client.replica.selectors.selectWriteStatus(client.store.getState(), id)
  return { ...client, status }
}

describe('selectWriteStatus', () => {
  it('meta.writeId is the mutation id the server records: pending until answered, then saved', async () => {
    const backend = writeBackend(server)
    const client = await synced(backend)
    const { meta } = client.save({ id: 'r', list_id: 1, title: 'mine' })
    expect(client.status(meta.writeId)).toBe('pending')
    await client.settled()
    expect(client.status(meta.writeId)).toBe('saved')
    expect(backend.pushes.flat().map((m) => m.id)).toEqual([meta.writeId])
    expect(backend.db.prepare('SELECT count(*) FROM _replica_mutations WHERE id = ?').pluck().get(meta.writeId)).toBe(1)
  })

  it('a write joining one not yet sent travels in its mutation; a delete cancelling a create leaves both saved and sends nothing', async () => {
    const backend = writeBackend(server)
    const client = await synced(backend, { online: false })
    const first = client.save({ id: 'r', list_id: 1, title: 'one' }).meta.writeId
    const second = client.save({ id: 'r', list_id: 1, title: 'two' }).meta.writeId
    expect([client.status(first), client.status(second)]).toEqual(['pending', 'pending'])
    const created = client.save({ id: 'temp', list_id: 1, title: 'draft' }).meta.writeId
    const deleted = client.remove('temp').meta.writeId
    expect([client.status(created), client.status(deleted)]).toEqual(['saved', 'saved'])
    client.onlineManager.setOnline(true)
    await client.settled()
    expect(backend.pushes.flat().map((m) => [m.id, m.row?.title])).toEqual([[first, 'two']])
    expect([client.status(first), client.status(second)]).toEqual(['saved', 'saved'])
  })

  it('a conflict decided for the server: overruled; decided for the client: sent again under a new id, pending until that is answered', async () => {
    const backend = writeBackend(server)
    const lost = await synced(backend, { online: false })
    const mine = lost.save({ id: 'r', list_id: 1, title: 'mine' }).meta.writeId
    backend.db.prepare("UPDATE todos SET title = 'theirs' WHERE id = 'r'").run()
    lost.onlineManager.setOnline(true)
    await lost.settled()
    expect(lost.status(mine)).toBe('overruled')
    await lost.close()

    const retried = writeBackend(server)
    const won = await synced(retried, { online: false, onConflict: () => 'client' })
    const again = won.save({ id: 'r', list_id: 1, title: 'mine' }).meta.writeId
    retried.db.prepare("UPDATE todos SET title = 'theirs' WHERE id = 'r'").run()
    // The resend is slow to be answered, so the write is seen pending in between.
    retried.setPushFault((mutations) => (mutations[0]?.id === again ? undefined : { delay: 200 }))
    won.onlineManager.setOnline(true)
    await until(() => won.writes().conflicts === 1)
    expect(won.status(again)).toBe('pending')
    await won.settled()
    expect(won.status(again)).toBe('saved')
    const [sent, resent] = retried.pushes.flat()
    expect(sent!.id).toBe(again)
    expect(resent!.id).not.toBe(again)
    expect(retried.row('r')!.title).toBe('mine')
  })

  it('a write refused before it is queued is rejected under its own id, and stays so once dismissed', async () => {
    const backend = writeBackend(server)
    const client = await synced(backend)
    const { meta } = client.store.dispatch(client.replica.actions.save({ collection: 'todo', key: 'nowhere', patch: { title: 'x' } }))
    expect(client.status(meta.writeId)).toBe('rejected')
    expect(client.writes().rejected.map((r) => [r.id, r.error.code])).toEqual([[meta.writeId, 'not_found']])
    client.store.dispatch(client.replica.actions.dismissRejectedWrite({ id: meta.writeId }))
    expect(client.status(meta.writeId)).toBe('rejected')
  })
})
