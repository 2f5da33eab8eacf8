import { describe, expect, it } from 'vitest'
import { memoryPersistence } from '../../src'
import type { Change } from '../../src/protocol'
import { openLocalStore } from '../../src/store/localStore'
import { digestAccumulator } from '../../src/core/digestHash'

// The local store's half of the digest check: its digest of a subscription, and the repair
// session (a pull from the beginning that leaves the view and the cursor alone until its end).

const collections = { note: { primaryKey: 'id' } }
const sub = (filter: Record<string, number>) => ({ key: `note:${JSON.stringify(filter)}`, collection: 'note', filter })
const A = sub({ project_id: 1 })
const B = sub({ contact_id: 9 })
const row = (id: number, version: number, body = `v${version}`) => ({ id, body, _version: version })
const put = (id: number, version: number, body = `v${version}`): Change => ({ key: id, version, deleted: false, row: row(id, version, body) })
const tombstone = (id: number, version: number): Change => ({ key: id, version, deleted: true })
const open = () => openLocalStore({ persistence: memoryPersistence(), collections })
const digestOf = (...pairs: Array<[number, number]>) => {
  const acc = digestAccumulator()
  for (const [id, v] of pairs) acc.add(id, v)
  return acc.result()
}
const ids = (rows: Array<Record<string, unknown>>) => rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b))

describe('the local store and the digest', () => {
  it('digests the rows a subscription holds, with the versions held', async () => {
    const store = await open()
    store.applyPage({ subscription: A, changes: [put(1, 1), put(2, 2), put(3, 3)], checkpoint: 'a3' })
    store.applyPage({ subscription: B, changes: [put(3, 3), put(4, 4)], checkpoint: 'b4' })
    store.applyPage({ subscription: A, changes: [tombstone(2, 5)], checkpoint: 'a5' })
    expect(store.digest(A.key)).toEqual(digestOf([1, 1], [3, 3]))
    expect(store.digest(B.key)).toEqual(digestOf([3, 3], [4, 4]))
    expect(store.digest('nope')).toBeUndefined()
  })

  it('also digests the rows it shows that nobody else vouches for: matching its filter, held by no running stream, no pending write', async () => {
    const store = await open()
    const inProject = (id: number, version: number): Change => ({ key: id, version, deleted: false, row: { id, project_id: 1, _version: version } })
    const narrow = sub({ project_id: 1, contact_id: 9 })
    // The narrow subscription (stopped) brought 5; A's stream passed 5's version without it.
    store.applyPage({ subscription: narrow, changes: [inProject(5, 2)], checkpoint: 'n' })
    store.applyPage({ subscription: A, changes: [inProject(1, 1), inProject(6, 3)], checkpoint: 'a3' })
    expect(store.digest(A.key)).toEqual(digestOf([1, 1], [5, 2], [6, 3]))
    // While the narrow stream runs, it vouches for 5.
    store.activate(narrow.key)
    expect(store.digest(A.key)).toEqual(digestOf([1, 1], [6, 3]))
    store.deactivate(narrow.key)
    // A repair of A that does not bring 5 takes it away.
    const repair = store.beginRepair(A.key, { reached: 3 })
    expect(repair.applyPage({ changes: [inProject(1, 1), inProject(6, 3)], checkpoint: 'r', hasMore: false })).toEqual({ upserted: [], removed: [5] })
    expect(repair.swept).toBe(true)
  })

  it('a repair whose last page says the server holds changes back sweeps nothing and leaves the cursor', async () => {
    const store = await open()
    store.applyPage({ subscription: A, changes: [put(1, 1), put(2, 2)], checkpoint: 'old' })
    const repair = store.beginRepair(A.key)
    expect(repair.applyPage({ changes: [put(1, 1), put(5, 3)], checkpoint: 'r', hasMore: false, heldBack: true })).toEqual({ upserted: [row(5, 3)], removed: [] })
    expect(repair.swept).toBe(false)
    expect(store.subscription(A.key)?.checkpoint).toBe('old')
    expect(ids(store.readAll('note'))).toEqual([1, 2, 5])
  })

  it('a repair adds what is missing, drops what the server no longer has, and moves the cursor only at its end', async () => {
    const store = await open()
    store.applyPage({ subscription: A, changes: [put(1, 1), put(2, 2), put(3, 3)], checkpoint: 'old' })
    store.applyPage({ subscription: B, changes: [put(2, 2)], checkpoint: 'b' })
    store.activate(A.key)
    store.activate(B.key)
    const repair = store.beginRepair(A.key)
    expect(repair.applyPage({ changes: [put(1, 1), put(7, 4)], checkpoint: 'r1', hasMore: true })).toEqual({ upserted: [row(7, 4)], removed: [] })
    // Mid-repair: the old cursor, nothing removed yet.
    expect(store.subscription(A.key)?.checkpoint).toBe('old')
    expect(repair.checkpoint).toBe('r1')
    expect(ids(store.readAll('note'))).toEqual([1, 2, 3, 7])
    // The end: 2 and 3 were not brought. 3 goes; 2 stays, held by B.
    expect(repair.applyPage({ changes: [], checkpoint: 'r1', hasMore: false })).toEqual({ upserted: [], removed: [3] })
    expect(store.subscription(A.key)?.checkpoint).toBe('r1')
    expect(ids(store.readAll('note'))).toEqual([1, 2, 7])
    expect(store.digest(A.key)).toEqual(digestOf([1, 1], [7, 4]))
    expect(store.digest(B.key)).toEqual(digestOf([2, 2]))
    expect(() => repair.applyPage({ changes: [], checkpoint: 'r1', hasMore: false })).toThrow(/already ended/)
  })

  it('an abandoned repair leaves the old cursor and only rows the server sent', async () => {
    const store = await open()
    store.applyPage({ subscription: A, changes: [put(1, 1), put(2, 2)], checkpoint: 'old' })
    store.beginRepair(A.key).applyPage({ changes: [put(1, 1), put(5, 3)], checkpoint: 'r', hasMore: true })
    expect(store.subscription(A.key)?.checkpoint).toBe('old')
    expect(ids(store.readAll('note'))).toEqual([1, 2, 5])
    // A new repair starts over and ends well.
    const again = store.beginRepair(A.key)
    expect(again.checkpoint).toBeNull()
    expect(again.applyPage({ changes: [put(1, 1), put(5, 3)], checkpoint: 'r2', hasMore: false })).toEqual({ upserted: [], removed: [2] })
  })

  it('a tombstone for a row the repair has not brought yet does not flicker the view', async () => {
    const store = await open()
    store.applyPage({ subscription: A, changes: [put(1, 8)], checkpoint: 'old' })
    const repair = store.beginRepair(A.key)
    // Row 1 left the filter at version 2 and came back at 8: the stream has both, in order.
    expect(repair.applyPage({ changes: [tombstone(1, 2)], checkpoint: 'r2', hasMore: true })).toEqual({ upserted: [], removed: [] })
    expect(repair.applyPage({ changes: [put(1, 8)], checkpoint: 'r8', hasMore: false })).toEqual({ upserted: [], removed: [] })
    expect(store.digest(A.key)).toEqual(digestOf([1, 8]))
    // A row the repair brought and then saw deleted goes at once.
    const next = store.beginRepair(A.key)
    next.applyPage({ changes: [put(1, 8)], checkpoint: 'r8', hasMore: true })
    expect(next.applyPage({ changes: [tombstone(1, 9)], checkpoint: 'r9', hasMore: false })).toEqual({ upserted: [], removed: [1] })
  })

  it('an older server version replaces the held one only when the server has passed the held version', async () => {
    const store = await open()
    store.applyPage({ subscription: A, changes: [put(1, 5, 'held'), put(2, 6, 'held'), put(3, 3)], checkpoint: 'old' })
    // Row 2 at version 6 may have been written after the repair's last page was read (another
    // subscription brought it): neither the stream (4) nor the digest (5) reached 6, so it is kept.
    // Row 1 at 5 is within what the server said it had passed (5): the server went back; its row wins.
    const repair = store.beginRepair(A.key, { reached: 5 })
    const applied = repair.applyPage({ changes: [put(1, 2, 'backup'), put(3, 3), put(2, 4, 'older')], checkpoint: 'r', hasMore: false })
    expect(applied).toEqual({ upserted: [row(1, 2, 'backup')], removed: [] })
    expect(store.readAll('note').map((r) => [r.id, r.body])).toEqual([[1, 'backup'], [2, 'held'], [3, 'v3']])
    // A newer version later in the same stream settles it.
    const later = store.beginRepair(A.key)
    later.applyPage({ changes: [put(2, 4, 'older')], checkpoint: 'r4', hasMore: true })
    expect(later.applyPage({ changes: [put(2, 6, 'held')], checkpoint: 'r6', hasMore: false }).upserted).toEqual([])
  })
})

describe('rows held past what the server has streamed', () => {
  it('are left out of the digest given upTo, and kept by a repair (the next catch-up decides them)', async () => {
    const store = await open()
    store.applyPage({ subscription: A, changes: [put(1, 1), put(2, 2)], checkpoint: 'a2' })
    // B brought row 2 at version 9, past A's cursor.
    store.applyPage({ subscription: B, changes: [put(2, 9)], checkpoint: 'b9' })
    expect(store.digest(A.key, { upTo: 2 })).toEqual(digestOf([1, 1]))
    expect(store.digest(A.key)).toEqual(digestOf([1, 1], [2, 9]))
    const repair = store.beginRepair(A.key, { reached: 2 })
    expect(repair.applyPage({ changes: [put(1, 1)], checkpoint: 'r1', hasMore: false })).toEqual({ upserted: [], removed: [] })
    expect(store.digest(A.key)).toEqual(digestOf([1, 1], [2, 9]))
  })
})
