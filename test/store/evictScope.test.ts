import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { filePersistence } from '../../src'
import type { Change } from '../../src/protocol'
import { openLocalStore } from '../../src/store/localStore'
import type { LocalStore } from '../../src/store/localStore'
import { tempDir } from './harness'

// The local store's half of eviction (docs/eviction.md): which rows of a scope leave, which stay,
// and that what leaves is gone from the saved file too. The timers are the engine's (eviction.test.ts).
const collections = { note: { primaryKey: 'id' } }
const scope = (filter: Record<string, number | number[]>) => ({ key: `note:${JSON.stringify(filter)}`, collection: 'note', filter })
const P1 = scope({ project_id: 1 })
const P2 = scope({ project_id: 2 })
const P12 = scope({ project_id: [1, 2] })
const put = (id: number, version: number, project_id: number): Change => ({ key: id, version, deleted: false, row: { id, project_id, body: `v${version}`, _version: version } })
const ids = (store: LocalStore) => store.readAll('note').map((row) => row.id as number).sort((a, b) => a - b)

let temp: ReturnType<typeof tempDir>
beforeEach(() => (temp = tempDir()))
afterEach(() => temp.cleanup())
const open = () => openLocalStore({ persistence: filePersistence(join(temp.dir, 'replica.db')), collections, saveInterval: 0 })

describe('evicting one scope from the local store', () => {
  it('removes the rows only it holds, with its stored subscription, from memory and from the reopened file', async () => {
    const store = await open()
    store.applyPage({ subscription: P1, changes: [put(1, 1, 1), put(2, 2, 1)], checkpoint: 'a' })
    store.applyPage({ subscription: P2, changes: [put(3, 3, 2)], checkpoint: 'b' })
    expect(store.evictScope(P1.key)).toEqual({ key: P1.key, collection: 'note', removed: [1, 2], kept: 0 })
    expect(ids(store)).toEqual([3])
    expect(store.subscription(P1.key)).toBeUndefined()
    expect(store.evictScope(P1.key)).toBeUndefined()
    await store.close()

    const reopened = await open()
    expect(ids(reopened)).toEqual([3])
    expect(reopened.subscriptions().map((s) => s.key)).toEqual([P2.key])
    await reopened.close()
  })

  it('keeps rows another stored subscription holds, and rows another one shows without holding them yet', async () => {
    const store = await open()
    store.applyPage({ subscription: P1, changes: [put(1, 1, 1), put(2, 2, 1), put(3, 3, 1)], checkpoint: 'a' })
    // P12's stream has brought row 1 so far; rows 2 and 3 match its filter, so its stream will bring them.
    store.applyPage({ subscription: P12, changes: [put(1, 1, 1)], checkpoint: 'x' })
    store.applyPage({ subscription: P2, changes: [put(9, 9, 2)], checkpoint: 'b' })
    expect(store.evictScope(P1.key)).toEqual({ key: P1.key, collection: 'note', removed: [], kept: 3 })
    expect(ids(store)).toEqual([1, 2, 3, 9])
    // P12 goes too: the rows it was left go with it, except what P2 still shows.
    expect(store.evictScope(P12.key)).toMatchObject({ removed: expect.arrayContaining([1, 2, 3]) })
    expect(ids(store)).toEqual([9])
    await store.close()
  })

  it('keeps a row with a pending write, and lets it go once the write is answered', async () => {
    const store = await open()
    store.applyPage({ subscription: P1, changes: [put(1, 1, 1), put(2, 2, 1)], checkpoint: 'a' })
    store.writes.write({ collection: 'note', key: 2, op: 'upsert', row: { id: 2, project_id: 1, body: 'mine' } })
    expect(store.evictScope(P1.key)).toEqual({ key: P1.key, collection: 'note', removed: [1], kept: 1 })
    expect(store.readAll('note')).toEqual([{ id: 2, project_id: 1, body: 'mine' }])
    expect(store.evictAfterWrites()).toEqual([])

    const [sent] = store.writes.nextBatch(10)
    store.writes.settle([{ entry: sent!, result: { id: sent!.id, status: 'applied', row: { id: 2, project_id: 1, body: 'mine' }, version: 5 } }], () => 'server', 'now')
    expect(store.evictAfterWrites()).toEqual([{ key: P1.key, collection: 'note', removed: [2], kept: 0 }])
    expect(ids(store)).toEqual([])
    await store.close()
  })

  it('leaves a written row that a subscription took up after the eviction', async () => {
    const store = await open()
    store.applyPage({ subscription: P1, changes: [put(1, 1, 1)], checkpoint: 'a' })
    store.writes.write({ collection: 'note', key: 1, op: 'upsert', row: { id: 1, project_id: 1, body: 'mine' } })
    store.evictScope(P1.key)
    store.applyPage({ subscription: P12, changes: [put(1, 1, 1)], checkpoint: 'x' })
    const [sent] = store.writes.nextBatch(10)
    store.writes.settle([{ entry: sent!, result: { id: sent!.id, status: 'applied', row: { id: 1, project_id: 1, body: 'mine' }, version: 5 } }], () => 'server', 'now')
    expect(store.evictAfterWrites()).toEqual([])
    expect(ids(store)).toEqual([1])
    await store.close()
  })

  it('refuses a scope whose stream runs', async () => {
    const store = await open()
    store.applyPage({ subscription: P1, changes: [put(1, 1, 1)], checkpoint: 'a' })
    store.activate(P1.key)
    expect(store.evictScope(P1.key)).toBeUndefined()
    store.deactivate(P1.key)
    expect(store.evictScope(P1.key)?.removed).toEqual([1])
    await store.close()
  })

  it('leaves no row naming the evicted id, which the next new subscription may get', async () => {
    const store = await open()
    store.applyPage({ subscription: P2, changes: [put(9, 9, 2)], checkpoint: 'b' })
    store.applyPage({ subscription: P1, changes: [put(1, 1, 1)], checkpoint: 'a' })
    store.applyPage({ subscription: P12, changes: [put(1, 1, 1)], checkpoint: 'x' })
    store.evictScope(P12.key)
    const fresh = scope({ project_id: 3 })
    store.applyPage({ subscription: fresh, changes: [put(20, 20, 3)], checkpoint: 'c' })
    expect(store.subscription(fresh.key)?.id).toBe(3)
    // Had row 1 still named id 3, evicting the new scope would not let it go with P1.
    store.evictScope(P1.key)
    store.evictScope(fresh.key)
    expect(ids(store)).toEqual([9])
    await store.close()
  })
})
