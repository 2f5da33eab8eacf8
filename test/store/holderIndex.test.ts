import Loki from 'lokijs'
import { describe, expect, it } from 'vitest'
import { indexHolders } from '../../src/store/holderIndex'
import type { StoredRow } from '../../src/store/rows'

// The index evictScope goes through (docs/eviction.md, "What it costs"): what it hands out for a
// holder covers every row that holder holds, and stays within about twice the rows stored.
function rows() {
  const db = new Loki('index.db')
  return db.addCollection<StoredRow>('note', { unique: ['k'], disableMeta: true, disableChangesApi: true, clone: false })
}
const held = (keys: Iterable<string>, collection: ReturnType<typeof rows>, holder: number) =>
  [...new Set(keys)].filter((k) => collection.by('k', k)?.s.includes(holder)).sort()

describe('the holder index', () => {
  it('covers rows stored before it was built, inserted later, and given a holder later; a newer version adds nothing', () => {
    const collection = rows()
    collection.insert({ k: 'a', v: 1, r: { id: 'a' }, s: [1] })
    const index = indexHolders(collection)
    collection.insert({ k: 'b', v: 2, r: { id: 'b' }, s: [1, 2] })
    const c = collection.insert({ k: 'c', v: 3, r: { id: 'c' }, s: [2] }) as StoredRow
    c.s = [...c.s, 1]
    collection.update(c)
    for (let v = 4; v < 100; v++) {
      c.v = v
      collection.update(c)
    }
    const forOne = [...index.take(1)]
    expect(held(forOne, collection, 1)).toEqual(['a', 'b', 'c'])
    expect(forOne).toHaveLength(3)
    expect(held(index.take(2), collection, 2)).toEqual(['b', 'c'])
    expect([...index.take(1)]).toEqual([])
  })

  it('keeps a holder\'s list within about twice the rows stored while rows come and go', () => {
    const collection = rows()
    const index = indexHolders(collection)
    for (let i = 0; i < 20_000; i++) {
      const doc = collection.insert({ k: String(i), v: i, r: { id: i }, s: [7] }) as StoredRow
      if (i % 100 !== 0) collection.remove(doc)
    }
    const keys = [...index.take(7)]
    expect(held(keys, collection, 7)).toHaveLength(200)
    expect(keys.length).toBeLessThanOrEqual(2 * collection.count() + 1025)
  })
})
