import { describe, expect, it } from 'vitest'
import { memoryPersistence } from '../../src'
import type { Change } from '../../src/core/pullWire'
import { openLocalStore } from '../../src/store/localStore'
import type { Resolve } from '../../src/store/outboxStore'

// The base of an outbox entry (what onConflict gets as `base`) is the row the write was made on,
// and it moves with baseVersion: a write queued behind another is based on what the first produced.
const collections = { note: { primaryKey: 'id' } }
const held: Change = { key: 1, version: 10, deleted: false, row: { id: 1, title: 'Draft', body: 'a', _version: 10 } }
const subscription = { key: 'note:{}', collection: 'note', filter: {} }
const serverWins: Resolve = () => 'server'

async function storeHolding() {
  const store = await openLocalStore({ persistence: memoryPersistence(), collections })
  store.applyPage({ subscription, changes: [held], checkpoint: 'c1' })
  return store
}

describe('the base of a pending write', () => {
  it('is the stored row for a first edit, null for a create, and the previous pending row for a second edit', async () => {
    const store = await storeHolding()
    store.writes.write({ collection: 'note', key: 1, op: 'upsert', row: { id: 1, title: 'Draft', body: 'b' } })
    store.writes.nextBatch(10) // sent: the next write cannot fold into it
    store.writes.write({ collection: 'note', key: 1, op: 'upsert', row: { id: 1, title: 'Draft', body: 'c' } })
    store.writes.write({ collection: 'note', key: 2, op: 'upsert', row: { id: 2, title: 'New', body: '' } })
    expect(store.writes.entries().map((e) => [e.key, e.base, e.baseVersion])).toEqual([
      [1, held.row, 10],
      [1, { id: 1, title: 'Draft', body: 'b' }, null],
      [2, null, null],
    ])
    await store.close()
  })

  it('folding keeps the base of the first write; a pulled version does not move it', async () => {
    const store = await storeHolding()
    store.writes.write({ collection: 'note', key: 1, op: 'upsert', row: { id: 1, title: 'Draft', body: 'b' } })
    store.writes.write({ collection: 'note', key: 1, op: 'upsert', row: { id: 1, title: 'Draft', body: 'bc' } })
    store.applyPage({ subscription, changes: [{ key: 1, version: 11, deleted: false, row: { id: 1, title: 'Final', body: 'a', _version: 11 } }], checkpoint: 'c2' })
    expect(store.writes.entries().map((e) => [e.row?.body, e.base, e.baseVersion])).toEqual([['bc', held.row, 10]])
    await store.close()
  })

  it("when the first write is applied, the next one's base becomes the server's row of the version it is now based on", async () => {
    const store = await storeHolding()
    store.writes.write({ collection: 'note', key: 1, op: 'upsert', row: { id: 1, title: 'Draft', body: 'b' } })
    const [first] = store.writes.nextBatch(10)
    store.writes.write({ collection: 'note', key: 1, op: 'upsert', row: { id: 1, title: 'Draft', body: 'c' } })
    const canonical = { id: 1, title: 'Draft', body: 'b', updated_at: 'now', _version: 12 }
    store.writes.settle([{ entry: first!, result: { id: first!.id, status: 'applied', row: canonical, version: 12 } }], serverWins, 'now')
    expect(store.writes.entries().map((e) => [e.base, e.baseVersion])).toEqual([[canonical, 12]])
    await store.close()
  })

  it("a conflict resolved by sending again is based on the server's row it met", async () => {
    const store = await storeHolding()
    store.writes.write({ collection: 'note', key: 1, op: 'upsert', row: { id: 1, title: 'Draft', body: 'b' } })
    const [first] = store.writes.nextBatch(10)
    const theirs = { id: 1, title: 'Final', body: 'a', _version: 13 }
    store.writes.settle([{ entry: first!, result: { id: first!.id, status: 'conflict', row: theirs, version: 13 } }], () => ({ merged: { id: 1, title: 'Final', body: 'b' } }), 'now')
    const [resend] = store.writes.entries()
    expect(resend).toMatchObject({ base: theirs, baseVersion: 13, row: { title: 'Final', body: 'b' } })
    expect(resend!.id).not.toBe(first!.id)
    await store.close()
  })
})
