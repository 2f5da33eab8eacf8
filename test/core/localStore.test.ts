import { describe, expect, it } from 'vitest'
import { memoryPersistence } from '../../src'
import type { Change } from '../../src/protocol'
import { openLocalStore } from '../../src/store/localStore'

const collections = { note: { primaryKey: 'id' } }
const sub = (filter: Record<string, number> = { project_id: 1 }) => ({ key: `note:${JSON.stringify(filter)}`, collection: 'note', filter })
const put = (id: number, version: number, body = `v${version}`, project_id = 1): Change => ({
  key: id, version, deleted: false, row: { id, project_id, body, _version: version },
})
const tombstone = (id: number, version: number): Change => ({ key: id, version, deleted: true })

async function open() {
  return openLocalStore({ persistence: memoryPersistence(), collections })
}

describe('the local store', () => {
  it('writes a page and its checkpoint together', async () => {
    const store = await open()
    const applied = store.applyPage({ subscription: sub(), changes: [put(1, 1), put(2, 2)], checkpoint: 'c2' })
    expect(applied).toEqual({ upserted: [{ id: 1, project_id: 1, body: 'v1', _version: 1 }, { id: 2, project_id: 1, body: 'v2', _version: 2 }], removed: [] })
    expect(store.readAll('note')).toHaveLength(2)
    expect(store.subscription(sub().key)).toEqual({ ...sub(), id: 1, checkpoint: 'c2', received: 2 })
  })

  it('changes nothing when the same page is applied twice', async () => {
    const store = await open()
    const page = { subscription: sub(), changes: [put(1, 1), put(2, 2)], checkpoint: 'c2' }
    store.applyPage(page)
    expect(store.applyPage(page)).toEqual({ upserted: [], removed: [] })
    expect(store.readAll('note').map((row) => row.id)).toEqual([1, 2])
  })

  it('replaces a held row only with a newer version', async () => {
    const store = await open()
    store.applyPage({ subscription: sub(), changes: [put(1, 5, 'new')], checkpoint: 'a' })
    expect(store.applyPage({ subscription: sub(), changes: [put(1, 3, 'old')], checkpoint: 'b' }).upserted).toEqual([])
    expect(store.readAll('note')).toEqual([{ id: 1, project_id: 1, body: 'new', _version: 5 }])
    store.applyPage({ subscription: sub(), changes: [put(1, 6, 'newer')], checkpoint: 'c' })
    expect(store.readAll('note')).toEqual([{ id: 1, project_id: 1, body: 'newer', _version: 6 }])
  })

  it('keeps the last change of a key when a page repeats it', async () => {
    const store = await open()
    const applied = store.applyPage({ subscription: sub(), changes: [put(1, 1, 'a'), put(2, 2), put(1, 3, 'b')], checkpoint: 'x' })
    expect(applied.upserted.map((row) => row.body)).toEqual(['v2', 'b'])
    expect(store.readAll('note')).toHaveLength(2)
  })

  it('treats key 1 and key "1" as one row', async () => {
    const store = await open()
    store.applyPage({ subscription: sub(), changes: [put(1, 1)], checkpoint: 'a' })
    store.applyPage({ subscription: sub(), changes: [{ key: '1', version: 2, deleted: false, row: { id: '1', _version: 2 } }], checkpoint: 'b' })
    expect(store.readAll('note')).toEqual([{ id: '1', _version: 2 }])
  })

  it('removes a row on a tombstone, and ignores a tombstone for a row it does not hold', async () => {
    const store = await open()
    store.applyPage({ subscription: sub(), changes: [put(1, 1), put(2, 2)], checkpoint: 'a' })
    const applied = store.applyPage({ subscription: sub(), changes: [tombstone(1, 3), tombstone(3, 4)], checkpoint: 'b' })
    expect(applied).toEqual({ upserted: [], removed: [1] })
    expect(store.readAll('note').map((row) => row.id)).toEqual([2])
  })

  it('keeps a row while another subscription holds it, and removes it when none does', async () => {
    const store = await open()
    const all = sub({})
    store.activate(sub().key)
    store.activate(all.key)
    store.applyPage({ subscription: sub(), changes: [put(1, 1)], checkpoint: 'a' })
    store.applyPage({ subscription: all, changes: [put(1, 1)], checkpoint: 'a' })
    // The row was deleted at version 2; project 1's stream brings the tombstone first.
    expect(store.applyPage({ subscription: sub(), changes: [tombstone(1, 2)], checkpoint: 'b' }).removed).toEqual([])
    expect(store.readAll('note')).toHaveLength(1)
    // The other stream brings it too: no subscription holds the row any more.
    expect(store.applyPage({ subscription: all, changes: [tombstone(1, 2)], checkpoint: 'c' }).removed).toEqual([1])
    expect(store.readAll('note')).toEqual([])
  })

  it('moves a row between two subscriptions in either order of their streams', async () => {
    for (const order of ['out-first', 'in-first']) {
      const store = await open()
      const seven = sub({ project_id: 7 })
      const eight = sub({ project_id: 8 })
      store.activate(seven.key)
      store.activate(eight.key)
      store.applyPage({ subscription: seven, changes: [put(1, 1, 'a', 7)], checkpoint: 'a' })
      const moveOut = () => store.applyPage({ subscription: seven, changes: [tombstone(1, 2)], checkpoint: 'b' })
      const moveIn = () => store.applyPage({ subscription: eight, changes: [put(1, 2, 'a', 8)], checkpoint: 'b' })
      if (order === 'out-first') { moveOut(); moveIn() } else { moveIn(); moveOut() }
      expect(store.readAll('note')).toEqual([{ id: 1, project_id: 8, body: 'a', _version: 2 }])
    }
  })

  it('takes a row from a subscription whose stream is behind, without overwriting the newer row', async () => {
    const store = await open()
    const all = sub({})
    store.activate(sub().key)
    store.activate(all.key)
    store.applyPage({ subscription: all, changes: [put(1, 5, 'newest', 2)], checkpoint: 'a' })
    store.applyPage({ subscription: sub(), changes: [put(1, 3, 'older')], checkpoint: 'a' })
    expect(store.readAll('note')).toEqual([{ id: 1, project_id: 2, body: 'newest', _version: 5 }])
    store.applyPage({ subscription: sub(), changes: [tombstone(1, 4)], checkpoint: 'b' })
    expect(store.readAll('note')).toHaveLength(1)
  })

  it('does not wait for a holder whose stream is not running: the row goes, and that stream starts over', async () => {
    const store = await open()
    const all = sub({})
    store.applyPage({ subscription: sub(), changes: [put(1, 1), put(2, 2)], checkpoint: 'a' })
    store.applyPage({ subscription: all, changes: [put(1, 1), put(2, 2)], checkpoint: 'b' })
    // Only project 1's stream runs; the unfiltered subscription was unsubscribed.
    store.activate(sub().key)
    expect(store.applyPage({ subscription: sub(), changes: [tombstone(1, 3)], checkpoint: 'c' }).removed).toEqual([1])
    expect(store.readAll('note').map((row) => row.id)).toEqual([2])
    // When it runs again it must pull from the beginning: its stream had passed row 1 already.
    expect(store.subscription(all.key)?.checkpoint).toBeNull()
    expect(store.subscription(sub().key)?.checkpoint).toBe('c')
    // A holder that stopped and started again is counted once it runs.
    store.activate(all.key)
    store.applyPage({ subscription: all, changes: [put(2, 2)], checkpoint: 'd' })
    expect(store.applyPage({ subscription: sub(), changes: [tombstone(2, 4)], checkpoint: 'e' }).removed).toEqual([])
    store.deactivate(all.key)
    expect(store.applyPage({ subscription: all, changes: [tombstone(2, 4)], checkpoint: 'f' }).removed).toEqual([2])
  })

  it('a tombstone removes an older row in its filter that another, stopped, stream brought', async () => {
    const store = await open()
    const wide = sub({})
    store.applyPage({ subscription: wide, changes: [put(1, 1), put(2, 2)], checkpoint: 'w' })
    store.activate(sub().key)
    expect(store.applyPage({ subscription: sub(), changes: [tombstone(1, 3), put(2, 2)], checkpoint: 'c' }).removed).toEqual([1])
    // A row outside its filter it never held is not its tombstone's business.
    store.applyPage({ subscription: wide, changes: [put(7, 4, 'elsewhere', 2)], checkpoint: 'w2' })
    expect(store.applyPage({ subscription: sub(), changes: [tombstone(7, 5)], checkpoint: 'd' }).removed).toEqual([])
  })

  it('never stores a version older than a tombstone it has seen, from any stream', async () => {
    const store = await open()
    const lagging = sub({})
    store.activate(sub().key)
    store.applyPage({ subscription: sub(), changes: [put(1, 1)], checkpoint: 'a' })
    store.applyPage({ subscription: sub(), changes: [tombstone(1, 5)], checkpoint: 'b' })
    // Another stream, behind, brings the row as it was before the tombstone: not stored.
    expect(store.applyPage({ subscription: lagging, changes: [put(1, 3, 'before the delete')], checkpoint: 'l' }).upserted).toEqual([])
    expect(store.readAll('note')).toEqual([])
    // The same version (a move into that stream's filter) or a newer one is.
    expect(store.applyPage({ subscription: lagging, changes: [put(1, 5, 'moved', 2)], checkpoint: 'm' }).upserted).toHaveLength(1)
    expect(store.readAll('note')).toEqual([{ id: 1, project_id: 2, body: 'moved', _version: 5 }])
  })

  it('hands out rows without Loki bookkeeping, and survives a reload', async () => {
    const persistence = memoryPersistence()
    const first = await openLocalStore({ persistence, collections })
    first.applyPage({ subscription: sub(), changes: [put(1, 1)], checkpoint: 'a' })
    await first.close()
    const second = await openLocalStore({ persistence, collections })
    expect(second.readAll('note')).toEqual([{ id: 1, project_id: 1, body: 'v1', _version: 1 }])
    expect(second.subscription(sub().key)?.checkpoint).toBe('a')
  })
})
